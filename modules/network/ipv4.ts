/*
 * IPv4 addresses as 32-bit numbers: what the network settings need to check
 * a static address against its subnet mask and gateway (RFC 950 subnets;
 * RFC 4632 §3.1 prefixes: a mask is contiguous ones).
 */

/** The address as an unsigned 32-bit number, or undefined when it is not a dotted quad of 0-255. */
export function parseIPv4(text: string): number | undefined {
	const parts = text.split(".");
	if (parts.length !== 4)
		return undefined;
	let value = 0;
	for (const part of parts) {
		if (part.length < 1 || part.length > 3 || (part.length > 1 && part.charCodeAt(0) === 48))
			return undefined;
		let n = 0;
		for (let i = 0; i < part.length; i++) {
			const c = part.charCodeAt(i) - 48;
			if (c < 0 || c > 9)
				return undefined;
			n = n * 10 + c;
		}
		if (n > 255)
			return undefined;
		value = value * 256 + n;
	}
	return value;
}

export function formatIPv4(value: number): string {
	return `${(value >>> 24) & 255}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/** The prefix length of a subnet mask (255.255.255.0: 24), or undefined when its ones are not contiguous. */
export function prefixOfMask(mask: number): number | undefined {
	let bits = 0;
	while (bits < 32 && (mask & (0x80000000 >>> bits)) !== 0)
		bits++;
	// every bit after the first zero must be zero too
	const rest = bits === 32 ? 0 : (mask << bits) >>> 0;
	return rest === 0 ? bits : undefined;
}

/** The mask of a prefix length as an unsigned number. */
export function maskOfPrefix(bits: number): number {
	return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}
