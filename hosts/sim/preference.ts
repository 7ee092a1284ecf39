/*
 * The simulator's Preference (the module "preference" on lin), in place of
 * the SDK's: the SDK's Preference for Linux parses its whole file into the XS
 * heap at start and keeps every value there (the configuration's two slots,
 * the journals' pages: about 5 KB of an idle station, more with the history),
 * while a panel's NVS keeps none of it in the heap. This one keeps each value
 * in a file of its own under the manifest's `config.file.root` (the run's
 * working folder) and reads it when asked, like NVS: a value costs heap only
 * while it is used, and the simulator's heap figures are a panel's.
 *
 * The same interface and limits as the ESP32's Preference: domain and key
 * of at most 15 characters; each `set` is atomic (written to a new file, then
 * renamed over the old one, as NVS writes a new entry before it erases the
 * old); strings, numbers, booleans and ArrayBuffers come back as they were
 * set. The file holds the type in its first character, then the value.
 */
import { File } from "file";
import config from "mc/config";

const ROOT = String((config as unknown as { file?: { root?: string } }).file?.root ?? "./");
/** NVS: keys and namespaces of at most 15 characters. */
const MAX_NAME = 15;

/** A name as a file name: letters, digits, "-" and "_" as they are, anything else as %XX. */
function safe(name: string): string {
	if (!name.length || name.length > MAX_NAME)
		throw new RangeError("invalid preference name");
	let out = "";
	for (let i = 0; i < name.length; i++) {
		const c = name.charCodeAt(i);
		const plain = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x5f;
		out += plain ? name[i] : "%" + (c & 0xff).toString(16).padStart(2, "0");
	}
	return out;
}

function pathOf(domain: string, key: string): string {
	return ROOT + "nvs." + safe(domain) + "." + safe(key);
}

export default class Preference {
	static set(domain: string, key: string, value: string | number | boolean | ArrayBuffer): void {
		let text: string;
		if (typeof value === "string")
			text = "s" + value;
		else if (typeof value === "number")
			text = "n" + String(value);
		else if (typeof value === "boolean")
			text = value ? "b1" : "b0";
		else if (value instanceof ArrayBuffer)
			text = "a" + new Uint8Array(value).join(",");
		else
			throw new TypeError("invalid preference value");
		const path = pathOf(domain, key);
		const fresh = path + ".new";
		if (File.exists(fresh))
			File.delete(fresh);
		const file = new File(fresh, true);
		try {
			file.write(text);
		}
		finally {
			file.close();
		}
		if (!File.rename(fresh, path.slice(path.lastIndexOf("/") + 1)))
			throw new Error("preference not written");
	}

	static get(domain: string, key: string): string | number | boolean | ArrayBuffer | undefined {
		const path = pathOf(domain, key);
		if (!File.exists(path))
			return undefined;
		const file = new File(path);
		let text: string;
		try {
			text = file.read(String);
		}
		finally {
			file.close();
		}
		const type = text.charCodeAt(0);
		const body = text.slice(1);
		if (type === 0x73)	// s
			return body;
		if (type === 0x6e)	// n
			return Number(body);
		if (type === 0x62)	// b
			return body === "1";
		if (type === 0x61)	// a
			return body.length ? Uint8Array.from(body.split(","), Number).buffer : new ArrayBuffer(0);
		return undefined;
	}

	static delete(domain: string, key: string): void {
		const path = pathOf(domain, key);
		if (File.exists(path))
			File.delete(path);
	}
}
