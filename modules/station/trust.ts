/*
 * Who the station trusts (the whitelist, read as an allow-list): entries are
 * SIP user names or numbers (callers through an account's server, whose
 * identity the server vouches for), IPv4 addresses, `user@address`, and
 * IPv4 networks (`192.168.1.0/24`; `0.0.0.0/0` trusts every address). For a
 * direct IP call only the address counts: a From header is the caller's own
 * claim. No RegExp: it runs for every INVITE.
 */

/** The 32-bit value of a dotted IPv4 address, or -1. */
export function ipv4Value(text: string): number {
	let value = 0, octet = -1, dots = 0;
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if (c === 46) {
			if (octet < 0 || ++dots > 3)
				return -1;
			value = value * 256 + octet;
			octet = -1;
		}
		else if (c >= 48 && c <= 57) {
			octet = (octet < 0 ? 0 : octet * 10) + c - 48;
			if (octet > 255)
				return -1;
		}
		else
			return -1;
	}
	return dots === 3 && octet >= 0 ? value * 256 + octet : -1;
}

/** Does an entry name this address (an address or a network)? */
function entryMatches(entry: string, address: number): boolean {
	const slash = entry.indexOf("/");
	if (slash < 0)
		return ipv4Value(entry) === address;
	const network = ipv4Value(entry.slice(0, slash));
	const bits = Number(entry.slice(slash + 1));
	if (network < 0 || !Number.isInteger(bits) || bits < 0 || bits > 32)
		return false;
	if (bits === 0)
		return true;
	const size = 2 ** (32 - bits);
	return Math.floor(network / size) === Math.floor(address / size);
}

/** A direct caller at `address` (with `user` in its From) is on the list. */
export function allowedAddress(list: readonly string[], address: string, user: string): boolean {
	const value = ipv4Value(address);
	if (value < 0)
		return false;
	for (const entry of list) {
		const at = entry.indexOf("@");
		if (at >= 0) {
			if (user !== "" && entry.slice(0, at) === user && entryMatches(entry.slice(at + 1), value))
				return true;
		}
		else if (entryMatches(entry, value))
			return true;
	}
	return false;
}
