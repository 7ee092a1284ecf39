// Kamailio as a registrar and proxy for the interop tests: a configuration
// written for each run (127.0.0.1, free ports, users in an htable, digest with
// MD5 or SHA-256, optional TLS), started in the foreground and stopped by its
// process id.
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import dgram from "node:dgram";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const USERS: Readonly<Record<string, string>> = Object.freeze({ door: "door-secret", "1001": "pw1001", "1002": "pw1002", "1003": "pw1003" });

export interface KamailioOptions {
	udpPort: number;
	tcpPort: number;
	tlsPort?: number;
	algorithm?: "MD5" | "SHA-256";
	/** Challenge INVITEs with 407 (proxy authentication). */
	inviteAuth?: boolean;
	tls?: { cert: string; key: string; ca: string };
	/** Shortest registration accepted (seconds). */
	minExpires?: number;
	/** Load the control socket (ctl), so that `kamcmd` can ask for Kamailio's own view (see `locations`). */
	control?: boolean;
	/**
	 * SIP Outbound (RFC 5626) as one box that is edge proxy and registrar:
	 * the outbound module, Path with flow tokens for REGISTERs that support
	 * outbound, `Flow-Timer` (seconds) in the 2xx, and requests for such a
	 * contact routed over the flow its REGISTER came on.
	 */
	outbound?: { flowTimer: number };
}

/** Whether the outbound module (Debian: kamailio-outbound-modules) is installed. */
export function outboundModuleInstalled(): boolean {
	return existsSync(MODULES + "outbound.so") && existsSync(MODULES + "path.so");
}

export interface Kamailio {
	dir: string;
	output(): string;
	stop(): Promise<void>;
}

const MODULES = "/usr/lib/x86_64-linux-gnu/kamailio/modules/";

export function kamailioInstalled(): boolean {
	try {
		execFileSync("kamailio", ["-v"], { stdio: "ignore" });
		return true;
	}
	catch {
		return false;
	}
}

function config(o: KamailioOptions, dir: string): string {
	const tls = o.tls && o.tlsPort;
	if (tls)
		writeFileSync(join(dir, "tls.cfg"), `[server:default]\nmethod = TLSv1.2+\nverify_certificate = no\nrequire_certificate = no\nprivate_key = ${o.tls!.key}\ncertificate = ${o.tls!.cert}\n\n[client:default]\nverify_certificate = no\nrequire_certificate = no\n`);
	const ob = o.outbound;
	const users = Object.entries(USERS).map(([u, p]) => `\t$sht(users=>${u}) = "${p}";`).join("\n");
	return `#!KAMAILIO
debug=2
log_stderror=yes
memdbg=5
memlog=5
children=2
tcp_children=2
${ob ? `# a flow the UA keeps alive lives; the pings come at most every Flow-Timer seconds
tcp_connection_lifetime=${ob.flowTimer + 10}` : ""}
auto_aliases=no
# aliases with their ports: every peer here is on 127.0.0.1, and a bare "127.0.0.1"
# would make Kamailio take their contacts for itself
alias="127.0.0.1:${o.udpPort}"
alias="127.0.0.1:${o.tcpPort}"
${o.tlsPort ? `alias="127.0.0.1:${o.tlsPort}"` : ""}
listen=udp:127.0.0.1:${o.udpPort}
listen=tcp:127.0.0.1:${o.tcpPort}
${tls ? `enable_tls=yes\nlisten=tls:127.0.0.1:${o.tlsPort}` : ""}
mpath="${MODULES}"
loadmodule "tm.so"
loadmodule "sl.so"
${ob ? `# before rr and path, which then bind to it: flow tokens in Path and Record-Route
loadmodule "outbound.so"` : ""}
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "auth.so"
loadmodule "htable.so"
${ob ? `loadmodule "path.so"
modparam("registrar", "use_path", 1)
modparam("registrar", "outbound_mode", 1)
modparam("registrar", "flow_timer", ${ob.flowTimer})` : ""}
${tls ? `loadmodule "tls.so"\nmodparam("tls", "config", "${join(dir, "tls.cfg")}")` : ""}
${o.control ? `loadmodule "ctl.so"\nmodparam("ctl", "binrpc", "unix:${controlSocket(dir)}")` : ""}
modparam("auth", "algorithm", "${o.algorithm ?? "MD5"}")
modparam("auth", "nonce_expire", 300)
modparam("usrloc", "db_mode", 0)
modparam("registrar", "min_expires", ${o.minExpires ?? 1})
modparam("registrar", "default_expires", 60)
modparam("htable", "htable", "users=>size=4;")

event_route[htable:mod-init] {
${users}
}

request_route {
	if (!mf_process_maxfwd_header("10")) {
		sl_send_reply("483", "Too Many Hops");
		exit;
	}
	if (is_method("CANCEL")) {
		if (t_check_trans())
			t_relay();
		exit;
	}
	if (has_totag()) {
${ob ? `		xlog("L_NOTICE", "$rm in the dialog from $si:$sp over $pr\\n");` : ""}
		if (loose_route()) {
${ob ? `			if ($du =~ "^sip:127.0.0.1:[0-9]+;transport=" && !is_method("ACK"))
				xlog("L_NOTICE", "$rm in the dialog to the flow $du\\n");` : ""}
			t_relay();
			exit;
		}
		if (is_method("ACK")) {
			if (t_check_trans())
				t_relay();
			exit;
		}
		sl_send_reply("404", "Not here");
		exit;
	}
${ob ? `	# the edge leg (RFC 5626 §5.3): a request lookup() sent back to us along a
	# Path with a flow token goes out over that flow
	if (is_present_hf("Route")) {
		if (is_method("INVITE"))
			record_route();
		if (loose_route()) {
			xlog("L_NOTICE", "$rm to the flow $du\\n");
			t_on_failure("FLOW_FAILED");
			t_relay();
			exit;
		}
		sl_send_reply("430", "Flow Failed");
		exit;
	}
` : ""}	t_check_trans();
	if (is_method("REGISTER")) {
${ob ? `		# the edge leg of an outbound REGISTER (RFC 5626 §5.1): a Path with a flow
		# token (and ;ob), then on to the registrar, this box again, over the
		# flow's transport, so that the Path names the socket the flow uses
		if (!is_present_hf("Path") && search("^(Supported|k):.*outbound")) {
			if (!add_path()) {
				sl_send_reply("503", "Path failed");
				exit;
			}
			if ($pr == "tls")
				$du = "sip:127.0.0.1:${o.tlsPort ?? 0};transport=tls";
			else if ($pr == "tcp")
				$du = "sip:127.0.0.1:${o.tcpPort};transport=tcp";
			else
				$du = "sip:127.0.0.1:${o.udpPort}";
			t_relay();
			exit;
		}
` : ""}		$var(pw) = $sht(users=>$au);
		if (!pv_www_authenticate("$td", "$var(pw)", "0")) {
			www_challenge("$td", "1");
			exit;
		}
		if (!save("location"))
			sl_reply_error();
		xlog("L_NOTICE", "registered $tu from $si:$sp over $pr\\n");
${ob ? `		xlog("L_NOTICE", "binding of $tU: $ct\\n");` : ""}
		exit;
	}
	if (is_method("OPTIONS") && uri == myself && $rU == $null) {
		sl_send_reply("200", "OK");
		exit;
	}
${o.inviteAuth ? `	if (is_method("INVITE") && $fd == "127.0.0.1") {
		$var(pw) = $sht(users=>$au);
		if (!pv_proxy_authenticate("$fd", "$var(pw)", "0")) {
			proxy_challenge("$fd", "1");
			exit;
		}
		consume_credentials();
	}` : ""}
	record_route();
	if (!lookup("location")) {
		sl_send_reply("404", "Not Found");
		exit;
	}
	t_relay();
}
${ob ? `
failure_route[FLOW_FAILED] {
	if (t_branch_timeout() || !t_branch_replied())
		send_reply("430", "Flow Failed");
}
` : ""}`;
}

/** Where Kamailio started with `control` listens for kamcmd. */
function controlSocket(dir: string): string {
	return join(dir, "ctl.sock");
}

/**
 * Kamailio's own view of where `user` is registered (its location table, read
 * with `kamcmd ul.lookup` over the control socket; Kamailio started with
 * `control`): the contacts and their remaining seconds; none when it has no binding.
 */
export function locations(kamailio: Kamailio, user: string): Promise<Array<{ contact: string; expires: number }>> {
	return new Promise((resolve, reject) => {
		execFile("kamcmd", ["-s", "unix:" + controlSocket(kamailio.dir), "ul.lookup", "location", user + "@127.0.0.1"], { timeout: 5000 }, (error, stdout, stderr) => {
			const text = String(stdout) + String(stderr);
			if (/not found|AOR not found/i.test(text))
				return resolve([]);
			if (error)
				return reject(new Error("kamcmd: " + text + String(error)));
			const found: Array<{ contact: string; expires: number }> = [];
			const contacts = text.split(/\bAddress:\s*/).slice(1);
			for (const c of contacts) {
				const expires = /\bExpires:\s*(-?\d+)/.exec(c);
				found.push({ contact: c.slice(0, c.search(/\s/)), expires: expires ? Number(expires[1]) : -1 });
			}
			resolve(found);
		});
	});
}

/**
 * Start Kamailio; when its ports are still held (the previous instance's
 * children exiting, or a connection in TIME_WAIT), try again for a while.
 */
export async function startKamailio(o: KamailioOptions): Promise<Kamailio> {
	for (let attempt = 0; ; attempt++) {
		try {
			return await startOnce(o);
		}
		catch (e) {
			if (attempt >= 40 || !/Address already in use/.test(String(e)))
				throw e;
			await new Promise((r) => setTimeout(r, 500));
		}
	}
}

function startOnce(o: KamailioOptions): Promise<Kamailio> {
	const dir = mkdtempSync(join(tmpdir(), "portier-kamailio-"));
	const cfg = join(dir, "kamailio.cfg");
	writeFileSync(cfg, config(o, dir));
	execFileSync("kamailio", ["-c", "-f", cfg], { stdio: "pipe" });
	// its own process group, so that stopping it also ends every worker it forked
	const child: ChildProcess = spawn("kamailio", ["-DD", "-E", "-f", cfg, "-P", join(dir, "kamailio.pid"), "-Y", dir, "-w", dir], { stdio: ["ignore", "pipe", "pipe"], detached: true });
	let text = "";
	child.stdout!.on("data", (d) => { text += d; });
	child.stderr!.on("data", (d) => { text += d; });
	const group = (signal: NodeJS.Signals) => {
		try {
			process.kill(-child.pid!, signal);
		}
		catch { /* the group is gone */ }
	};
	const stop = () => new Promise<void>((resolve) => {
		const done = () => {
			group("SIGKILL");	// workers that outlived the main process
			setTimeout(resolve, 100);
		};
		if (child.exitCode !== null || child.signalCode !== null)
			return done();
		const timer = setTimeout(() => group("SIGKILL"), 5000);
		child.once("exit", () => { clearTimeout(timer); done(); });
		group("SIGTERM");
	});
	return new Promise((resolve, reject) => {
		const deadline = Date.now() + 15000;
		const probe = dgram.createSocket("udp4");
		let done = false;
		const finish = (error?: Error) => {
			if (done)
				return;
			done = true;
			clearInterval(timer);
			probe.close();
			if (error)
				void stop().then(() => reject(error));
			else
				resolve({ dir, output: () => text, stop });
		};
		// ready when it answers an OPTIONS
		probe.on("message", () => finish());
		const ping = Buffer.from(["OPTIONS sip:127.0.0.1:" + o.udpPort + " SIP/2.0", "Via: SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bKprobe" + Date.now(),
			"From: <sip:probe@127.0.0.1>;tag=p", "To: <sip:127.0.0.1>", "Call-ID: probe-" + Date.now(), "CSeq: 1 OPTIONS", "Max-Forwards: 70", "Content-Length: 0", "", ""].join("\r\n"));
		const timer = setInterval(() => {
			if (child.exitCode !== null)
				return finish(new Error("kamailio exited: " + text));
			if (Date.now() > deadline)
				return finish(new Error("kamailio did not answer: " + text));
			probe.send(ping, o.udpPort, "127.0.0.1");
		}, 150);
		probe.bind(0, "127.0.0.1");
	});
}

/** A CA and a server certificate for 127.0.0.1 signed by it (and a second, unrelated CA). */
export function makeCertificates(): { dir: string; ca: string; otherCa: string; cert: string; key: string } {
	const dir = mkdtempSync(join(tmpdir(), "portier-tls-"));
	const run = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
	run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=portier test CA"]);
	run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key", "-out", "other.pem", "-days", "2", "-subj", "/CN=someone else"]);
	run(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"]);
	writeFileSync(join(dir, "ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
	run(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "leaf.pem", "-days", "2", "-extfile", "ext.cnf"]);
	// the server sends its certificate and the CA (the device's TLS stack needs the chain)
	execFileSync("sh", ["-c", "cat leaf.pem ca.pem > server.pem"], { cwd: dir });
	return { dir, ca: join(dir, "ca.pem"), otherCa: join(dir, "other.pem"), cert: join(dir, "server.pem"), key: join(dir, "server.key") };
}
