// The whitelist as an allow-list: addresses, user@address and IPv4 networks.
import { equal } from "../lib/assert.js";
import { allowedAddress, ipv4Value } from "../../modules/station/trust.js";

describe("trust: the allow-list", () => {
	it("reads dotted IPv4 addresses and nothing else", () => {
		equal(ipv4Value("192.168.1.5"), 0xC0A80105);
		equal(ipv4Value("0.0.0.0"), 0);
		equal(ipv4Value("255.255.255.255"), 0xFFFFFFFF);
		for (const bad of ["", "1.2.3", "1.2.3.4.5", "1.2.3.256", "1..2.3", "a.b.c.d", "1.2.3.4 ", "::1"])
			equal(ipv4Value(bad), -1, bad);
	});

	it("matches addresses, networks and user@address", () => {
		const list = ["10.0.0.7", "192.168.1.0/24", "1001@172.16.0.9", "1002"];
		equal(allowedAddress(list, "10.0.0.7", ""), true);
		equal(allowedAddress(list, "10.0.0.8", ""), false);
		equal(allowedAddress(list, "192.168.1.200", ""), true);
		equal(allowedAddress(list, "192.168.2.1", ""), false);
		equal(allowedAddress(list, "172.16.0.9", "1001"), true);
		equal(allowedAddress(list, "172.16.0.9", "1003"), false);
		equal(allowedAddress(list, "172.16.0.9", ""), false);
		// a bare user name says nothing about a direct caller's address
		equal(allowedAddress(list, "203.0.113.1", "1002"), false);
	});

	it("0.0.0.0/0 allows every address; bad networks allow none", () => {
		equal(allowedAddress(["0.0.0.0/0"], "203.0.113.1", ""), true);
		equal(allowedAddress(["10.0.0.0/33", "10.0.0.0/x", "10.0.0/8"], "10.0.0.1", ""), false);
		equal(allowedAddress(["10.0.0.0/8"], "10.255.3.4", ""), true);
		equal(allowedAddress(["10.0.0.1/32"], "10.0.0.1", ""), true);
		equal(allowedAddress(["10.0.0.0/8"], "not an address", ""), false);
	});
});
