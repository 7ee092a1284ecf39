/*
 * The reference door panel: a classic ESP32 devkit (ESP32-WROOM-32, 4 MB
 * flash) with a relay board, three switches and I2S audio. The pin names
 * here are what the firmware uses (hosts/esp32/board); the I2S pins are
 * also in this target's manifest, where the SDK's audio drivers read them.
 *
 *   relay1       GPIO 16  door strike relay (relay board IN1, active high)
 *   relay2       GPIO 17  second relay (gate, light)
 *   input1       GPIO 32  call button, to GND (internal pull-up)
 *   input2       GPIO 33  exit button, to GND (internal pull-up)
 *   input3       GPIO 27  door sensor (reed contact), to GND while closed
 *   micClock     GPIO 14  INMP441 SCK   (I2S 1)
 *   micSelect    GPIO 13  INMP441 WS    (L/R tied to GND: left slot)
 *   micData      GPIO 35  INMP441 SD    (an input-only pin)
 *   speakerClock GPIO 26  MAX98357A BCLK (I2S 0)
 *   speakerSelect GPIO 25 MAX98357A LRC
 *   speakerData  GPIO 22  MAX98357A DIN
 *   amplifier    GPIO 21  MAX98357A SD (on while a call has audio)
 *   led          GPIO 2   the devkit's LED
 *
 * Left free: the strapping pins 0, 5, 12 and 15, the flash pins 6-11, and
 * 1/3 (the serial console xsbug uses).
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
		relay1: 16,
		relay2: 17,
		input1: 32,
		input2: 33,
		input3: 27,
		micClock: 14,
		micSelect: 13,
		micData: 35,
		speakerClock: 26,
		speakerSelect: 25,
		speakerData: 22,
		amplifier: 21,
		led: 2,
	},
};

export default device;
