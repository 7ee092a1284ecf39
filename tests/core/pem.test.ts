// PEM certificates to DER for the SDK's TLS socket, and the Base64 under it
// (RFC 4648 §10 test vectors).
import { deepEqual, equal, throws } from "../lib/assert.js";
import { certificatesOf, decodeBase64, isPemCertificates } from "../../modules/io/pem.js";

const bytes = (b: Uint8Array | ArrayBuffer) => Array.from(b instanceof Uint8Array ? b : new Uint8Array(b));
const text = (b: Uint8Array) => String.fromCharCode(...b);

describe("PEM to DER", () => {
	it("decodes Base64 (RFC 4648 §10), white space ignored", () => {
		const vectors: Array<[string, string]> = [["", ""], ["Zg==", "f"], ["Zm8=", "fo"], ["Zm9v", "foo"], ["Zm9vYg==", "foob"], ["Zm9vYmE=", "fooba"], ["Zm9vYmFy", "foobar"]];
		for (const [encoded, plain] of vectors)
			equal(text(decodeBase64(encoded)), plain, encoded);
		equal(text(decodeBase64(" Zm9v\r\n YmFy\n")), "foobar");
		deepEqual(bytes(decodeBase64("//79")), [255, 254, 253]);
	});

	it("refuses what is not Base64", () => {
		throws(() => decodeBase64("Zm9v!"));
		throws(() => decodeBase64("Zm9"), (e) => /length/.test(e.message));
		throws(() => decodeBase64("Zg=a"));
		throws(() => decodeBase64("Z==="));
	});

	it("takes every certificate of a PEM text, skipping what is around them", () => {
		// two tiny DER SEQUENCEs: 30 03 02 01 05 and 30 00
		const pem = "subject=CN test\n-----BEGIN CERTIFICATE-----\nMAMCAQU=\n-----END CERTIFICATE-----\nsome text\n-----BEGIN CERTIFICATE-----\r\nMAA=\r\n-----END CERTIFICATE-----\r\n";
		deepEqual(certificatesOf(pem).map(bytes), [[0x30, 3, 2, 1, 5], [0x30, 0]]);
		deepEqual(certificatesOf(""), []);
		throws(() => certificatesOf("-----BEGIN CERTIFICATE-----\nMAMCAQU=\n"), (e) => /END/.test(e.message));
		throws(() => certificatesOf("-----BEGIN CERTIFICATE-----\nZm9v\n-----END CERTIFICATE-----"), (e) => /DER/.test(e.message));
	});

	it("tells PEM certificates from anything else without a RegExp (a long certificate too)", () => {
		const block = (body: string) => "-----BEGIN CERTIFICATE-----\n" + body + "\n-----END CERTIFICATE-----\n";
		// 2 KB of Base64 in 64-character lines, as openssl writes a certificate: DER (a SEQUENCE, 0x30) or not
		const lines = (b64: string) => b64.match(/.{1,64}/g)!.join("\n");
		const der = lines("MIIF" + "QUJD".repeat(500));
		const notDer = lines("QUJD".repeat(501));
		equal(isPemCertificates(""), true);
		equal(isPemCertificates("  \n"), true);
		equal(isPemCertificates(block("MAMCAQU=")), true);
		equal(isPemCertificates(block("MAMCAQU=") + "\n" + block("MAA=")), true);
		equal(isPemCertificates("text " + block("MAMCAQU=")), false, "nothing but white space around the blocks");
		equal(isPemCertificates(block("Zm9v")), false, "not DER");
		equal(isPemCertificates(block("MAMCA!QU=")), false);
		equal(isPemCertificates("-----BEGIN CERTIFICATE-----\nMAMCAQU="), false);
		equal(isPemCertificates(block(der)), true, "a long certificate");
		equal(isPemCertificates(block(notDer)), false, "a long block that is no DER SEQUENCE");
	});
});
