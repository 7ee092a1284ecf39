#!/usr/bin/env node
// Sign a firmware image for an upgrade from the page (docs/update.md): the
// ESP-IDF app image that mcconfig builds (bin/esp32/.../xs_esp32.bin) is
// checked as the panel will check it (header, segments, checksum, appended
// SHA-256) and the signature block is appended: ECDSA P-256 with SHA-256
// over the image's digest, with the update key's private half.
//
//   node tools/sign-firmware.js keygen KEY.pem        a new key pair: the private key in KEY.pem
//                                                     (mode 0600; keep it off the repository),
//                                                     the public key printed for the build
//   node tools/sign-firmware.js public KEY.pem        the public key (mcconfig updateKey=... / --update-key)
//   node tools/sign-firmware.js sign KEY.pem IN [OUT] the signed image (OUT: IN with .signed.bin)
//
// Exit 0 on success; 1 with the reason on stderr (an image the panel would refuse is not signed).
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { ImageCheck, SIGNATURE_BLOCK_SIZE, SIGNATURE_ECDSA_P256, SIGNATURE_FORMAT, SIGNATURE_MAGIC, chipName, toHex } from "../build/modules/update/image.js";

function fail(message) {
	process.stderr.write(`sign-firmware: ${message}\n`);
	process.exit(1);
}

function rawPublic(key) {
	const der = (key.type === "public" ? key : createPublicKey(key)).export({ type: "spki", format: "der" });
	return der.subarray(der.length - 65);
}

function privateKey(file) {
	let key;
	try {
		key = createPrivateKey(readFileSync(file));
	}
	catch (e) {
		fail(`cannot read the private key ${file}: ${e.message}`);
	}
	if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1")
		fail(`${file} is not a P-256 (prime256v1) EC key`);
	return key;
}

const [command, ...args] = process.argv.slice(2);
if (command === "keygen" && args.length === 1) {
	if (existsSync(args[0]))
		fail(`${args[0]} exists: not overwritten`);
	const { privateKey: key, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
	writeFileSync(args[0], key.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
	process.stdout.write(toHex(rawPublic(publicKey)) + "\n");
}
else if (command === "public" && args.length === 1)
	process.stdout.write(toHex(rawPublic(privateKey(args[0]))) + "\n");
else if (command === "sign" && (args.length === 2 || args.length === 3)) {
	const key = privateKey(args[0]);
	const image = new Uint8Array(readFileSync(args[1]));
	const out = args[2] ?? args[1].replace(/\.bin$/, "") + ".signed.bin";
	// checked as the panel checks it, for whatever chip the image says it is for
	const hash = createHash("sha256");
	const check = new ImageCheck({ chip: image.length > 13 ? image[12] | (image[13] << 8) : 0, maxSize: image.length + SIGNATURE_BLOCK_SIZE, sha256: { write: (b) => hash.update(b), close: () => new Uint8Array(hash.digest()) } });
	const imageBytes = check.push(image);
	if (imageBytes < 0)
		fail(`${args[1]}: ${check.error}`);
	if (imageBytes !== image.length)
		fail(`${args[1]}: ${image.length - imageBytes} bytes after the image (already signed?)`);
	const block = new Uint8Array(SIGNATURE_BLOCK_SIZE);
	block.set(SIGNATURE_MAGIC, 0);
	block[4] = SIGNATURE_FORMAT;
	block[5] = SIGNATURE_ECDSA_P256;
	new DataView(block.buffer).setUint32(8, image.length, true);
	block.set(sign("sha256", check.digest, { key, dsaEncoding: "ieee-p1363" }), 12);
	if (check.push(block) !== 0)
		fail(`${args[1]}: ${check.error}`);
	const info = check.finish();
	if (!info)
		fail(`${args[1]}: ${check.error}`);
	const signed = new Uint8Array(image.length + block.length);
	signed.set(image, 0);
	signed.set(block, image.length);
	writeFileSync(out, signed);
	process.stdout.write(`${out}: ${info.project} ${info.version} for ${chipName(info.chip)}, ${info.imageSize} bytes, SHA-256 ${info.sha256}, signed by ${toHex(rawPublic(key)).slice(0, 16)}...\n`);
}
else {
	process.stderr.write("usage: node tools/sign-firmware.js keygen KEY.pem | public KEY.pem | sign KEY.pem IMAGE.bin [OUT.bin]\n");
	process.exit(2);
}
