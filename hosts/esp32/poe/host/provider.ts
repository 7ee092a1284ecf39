/*
 * The Ethernet door panel: an Olimex ESP32-POE (ESP32-WROOM-32, 4 MB flash,
 * LAN8720 PHY, powered over the Ethernet cable), with a relay board, three
 * switches and I2S audio on its EXT headers. The pin names here are what
 * the firmware uses (hosts/esp32/board); the I2S pins are also in this
 * target's manifest, where the SDK's audio drivers read them, and the
 * Ethernet pins in its defines, where hosts/esp32/ethernet reads them.
 *
 *   relay1       GPIO 32  door strike relay (relay board IN1, active high)
 *   relay2       GPIO 33  second relay (gate, light)
 *   input1       GPIO 36  call button, to GND; 10 kΩ pull-up to 3.3 V on the
 *                         panel (an input-only pin: no internal pull-up)
 *   input2       GPIO 34  exit button: the board's BUT1 (pulled up on the
 *                         board); an external exit button goes across it,
 *                         to GND. Held 10 s at power-on: back to DHCP
 *   input3       GPIO 39  door sensor (reed contact), to GND while closed;
 *                         10 kΩ pull-up on the panel (input-only pin)
 *   micClock     GPIO 14  INMP441 SCK   (I2S 1)
 *   micSelect    GPIO 15  INMP441 WS    (L/R tied to GND: left slot)
 *   micData      GPIO 35  INMP441 SD    (an input-only pin)
 *   speakerClock GPIO 4   MAX98357A BCLK (I2S 0)
 *   speakerSelect GPIO 16 MAX98357A LRC
 *   speakerData  GPIO 13  MAX98357A DIN
 *   led          GPIO 2   an LED with its resistor to GND (the board has
 *                         none of its own)
 *
 * The MAX98357A's SD pin is left to its own pull-up (amplifier on): the
 * SDK's audio driver keeps the amplifier on anyway, and no GPIO is spare.
 *
 * Taken by the board: the EMAC's RMII pins 19 (TXD0), 21 (TX_EN), 22 (TXD1),
 * 25 (RXD0), 26 (RXD1), 27 (CRS_DV); the PHY's MDC 23, MDIO 18, its power
 * switch 12 and the 50 MHz RMII clock the ESP32 drives on 17; the flash
 * pins 6-11; 1/3 (the USB serial console). GPIO 0 and 5 (strapping) are
 * left free. GPIO 2, 14 and 15 are the microSD slot's: leave it empty.
 * GPIO 35 and 39 are free while the board's BAT_SENS and PWR_SENS solder
 * jumpers stay open, as they ship.
 */
import Analog from "embedded:io/analog";
import Digital from "embedded:io/digital";
import DigitalBank from "embedded:io/digitalbank";
import I2C from "embedded:io/i2c";
import PulseCount from "embedded:io/pulsecount";
import PWM from "embedded:io/pwm";
import Serial from "embedded:io/serial";
import SMBus from "embedded:io/smbus";
import SPI from "embedded:io/spi";

const device = {
	io: { Analog, Digital, DigitalBank, I2C, PulseCount, PWM, Serial, SMBus, SPI },
	pin: {
		relay1: 32,
		relay2: 33,
		input1: 36,
		input2: 34,
		input3: 39,
		micClock: 14,
		micSelect: 15,
		micData: 35,
		speakerClock: 4,
		speakerSelect: 16,
		speakerData: 13,
		led: 2,
	},
};

export default device;
