// The configuration page in a real browser: Debian's Chromium, headless,
// driven by playwright-core, against `npm start`, a Kamailio registrar and a
// SIPp phone started here. Screenshots of every page go to artifacts/.
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type Page, chromium } from "playwright-core";
import { type Kamailio, kamailioInstalled, startKamailio } from "../interop/kamailio.js";
import { type Running, installed, scenarioWith, sipp } from "../interop/peers.js";
import { freePort, root, startStation } from "../node/helpers.js";
import { espImage, signedImage, testCrypto } from "../lib/firmware-image.js";
import { toHex } from "../../modules/update/image.js";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
const ARTIFACTS = join(root, "artifacts");
const PASSWORD = "page-admin-1";
/** The station takes firmware signed with the test's own key (tests/lib/update-keys.ts). */
const UPDATE_KEY = ["--update-key", toHex(testCrypto().publicKey())];

describe("configuration page (Chromium)", function () {
	this.timeout(90000);
	let station: Awaited<ReturnType<typeof startStation>>;
	let kamailio: Kamailio;
	let kamailioPort: number;
	let browser: Browser;
	let page: Page;
	const peers: Running[] = [];

	before(async function () {
		if (!CHROMIUM || !kamailioInstalled() || !installed("sipp")) {
			process.stdout.write(`\n  configuration page: skipped (needs Debian's chromium, kamailio and sip-tester; missing: ${[!CHROMIUM && "chromium", !kamailioInstalled() && "kamailio", !installed("sipp") && "sipp"].filter(Boolean).join(", ")})\n`);
			this.skip();
		}
		mkdirSync(ARTIFACTS, { recursive: true });
		kamailioPort = await freePort();
		kamailio = await startKamailio({ udpPort: kamailioPort, tcpPort: await freePort() });
		station = await startStation({ args: UPDATE_KEY });
		browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
		// a phone-sized window: the page must be usable there
		page = await browser.newPage({ viewport: { width: 412, height: 900 } });
		page.on("dialog", (d) => void d.accept());
	});

	after(async () => {
		await browser?.close();
		for (const p of peers)
			await p.stop();
		await station?.stop();
		await kamailio?.stop();
	});

	async function tab(id: string): Promise<void> {
		await page.click(`nav [data-tab="${id}"]`);
		await page.waitForSelector(`#tab-${id}`);
	}

	async function saved(): Promise<void> {
		await page.click("#save");
		await page.waitForFunction("!['', 'Saving…'].includes(document.querySelector('#message')?.textContent)", undefined, { timeout: 5000 });
		assert.equal(await page.textContent("#message"), "Saved.");
	}

	async function apiStatus(): Promise<{ relays: Array<{ id: number; active: boolean }>; calls: Array<{ state: string }>; registrations: Array<{ id: string; registered: boolean }> }> {
		return page.evaluate(async () => (await fetch("/api/status")).json()) as Promise<never>;
	}

	async function login(setup: boolean): Promise<void> {
		await page.goto(station.base + "/");
		await page.waitForSelector("#login-password");
		await page.fill("#login-password", PASSWORD);
		if (setup)
			await page.fill("#login-again", PASSWORD);
		await page.click("#login-button");
		await page.waitForSelector("nav [data-tab=status]");
	}

	it("sets the administrator password and the door code at the first visit (a door code of \"#\" is refused) and logs in", async () => {
		await page.goto(station.base + "/");
		await page.waitForSelector("#login-again");
		assert.match(await page.textContent("#door-code-hint") ?? "", /4-8 keys of 0-9 \* # A-D/);
		// the first-password boxes are wide on a desktop too (they were 52 px)
		await page.setViewportSize({ width: 1366, height: 900 });
		for (const id of ["#login-password", "#login-again", "#login-door-code"])
			assert.ok(await page.$eval(id, (e) => e.getBoundingClientRect().width) >= 250, id + " is wide");
		await page.screenshot({ path: join(ARTIFACTS, "page-setup-1366.png") });
		await page.setViewportSize({ width: 412, height: 900 });
		await page.fill("#login-password", PASSWORD);
		await page.fill("#login-again", PASSWORD);
		await page.fill("#login-door-code", "#");
		await page.click("#login-button");
		await page.waitForFunction("document.querySelector('#message')?.textContent !== ''");
		assert.equal(await page.textContent("#message"), "Door code: 4-8 of 0-9 * # A-D");
		assert.ok(await page.$eval("#login-door-code", (e) => e.classList.contains("changed")), "the refused field is marked");
		assert.equal((await page.evaluate(async () => (await fetch("/api/session")).json()) as { setup: boolean }).setup, true, "nothing was set");
		await page.fill("#login-door-code", "2580");
		await page.screenshot({ path: join(ARTIFACTS, "page-setup.png"), fullPage: true });
		await page.click("#login-button");
		await page.waitForSelector("nav [data-tab=status]");
		await page.waitForSelector("#status-registrations");
		await tab("relay");
		assert.equal(await page.inputValue('[data-path="station.relays[0].dtmfCode"]'), "2580", "relay 1 has the door code");
		await tab("status");
	});

	it("sets Account 1 to Kamailio; the status turns to registered", async () => {
		await tab("account");
		await page.check('[data-path="accounts.1.enabled"]');
		await page.fill('[data-path="accounts.1.label"]', "Kamailio");
		await page.fill('[data-path="accounts.1.server"]', "127.0.0.1");
		await page.fill('[data-path="accounts.1.port"]', String(kamailioPort));
		await page.fill('[data-path="accounts.1.registerName"]', "door");
		await page.fill('[data-path="accounts.1.password"]', "door-secret");
		assert.ok(await page.$eval('[data-path="accounts.1.server"]', (e) => e.classList.contains("changed")), "a changed field is marked");
		await page.screenshot({ path: join(ARTIFACTS, "page-account.png"), fullPage: true });
		await saved();
		assert.ok(!await page.$eval('[data-path="accounts.1.server"]', (e) => e.classList.contains("changed")), "saved: no longer marked");
		assert.equal(await page.inputValue('[data-path="accounts.1.password"]'), "", "the password is not sent back");
		await tab("status");
		await page.waitForFunction("document.querySelector('[data-account=\"1\"] .state')?.textContent === 'registered'", undefined, { timeout: 15000 });
		await page.screenshot({ path: join(ARTIFACTS, "page-status.png"), fullPage: true });
	});

	it("shows a refused value next to its field, with its range, and keeps the stored one", async () => {
		await tab("intercom");
		await page.fill('[data-path="station.maxCallTime"]', "99999");
		await page.click("#save");
		await page.waitForSelector(".error");
		await page.waitForFunction("document.querySelector('#message')?.textContent !== 'Saving…'");
		assert.equal(await page.textContent(".error"), "0-14400 seconds (0: no limit)");
		assert.match(await page.textContent("#message") ?? "", /^Not saved: Max Call Time: 0-14400/);
		await page.fill('[data-path="station.maxCallTime"]', "120");
		await saved();
	});

	async function statusLog(): Promise<string[]> {
		return ((await page.evaluate(async () => (await fetch("/api/status")).json())) as { log: string[] }).log;
	}

	async function messageSettled(): Promise<string> {
		await page.waitForFunction("!['', 'Saving…'].includes(document.querySelector('#message')?.textContent)", undefined, { timeout: 5000 });
		return await page.textContent("#message") ?? "";
	}

	describe("the device page, relays and alarms (issue 16)", () => {
		it("Relay and Input: a relay's name and lock type, the door-held-open alarm and a tamper input are saved", async () => {
			await tab("relay");
			await page.fill('[data-path="station.relayNames.1.name"]', "Front door");
			await page.selectOption('[data-path="station.relayNames.1.lock"]', "NC");
			await page.fill('[data-path="station.doorAlarm"]', "45");
			assert.ok((await page.$$eval('[data-path="station.inputs[2].kind"] option', (o) => o.map((x) => x.getAttribute("value")))).includes("tamper"));
			await saved();
			const c = (await page.evaluate(async () => (await fetch("/api/config")).json())) as { station: { relayNames: { "1": unknown }; doorAlarm: number } };
			assert.deepEqual(c.station.relayNames["1"], { name: "Front door", lock: "NC" });
			assert.equal(c.station.doorAlarm, 45);
			await page.screenshot({ path: join(ARTIFACTS, "page-relay-412.png"), fullPage: true });
			await page.selectOption('[data-path="station.relayNames.1.lock"]', "NO");
			await saved();
		});

		it("Device: model, firmware, IP, uptime, time and its source, free heap and heap used, each account's registration; a test call and a relay test", async () => {
			await tab("device");
			await page.waitForSelector("#device-info [data-info=model]");
			const row = async (id: string) => (await page.textContent(`#device-info [data-info="${id}"] td`))!;
			assert.match(await row("model"), /^portier on a PC/);
			assert.equal(await row("firmware"), "0.1.0");
			assert.equal(await row("ip"), "127.0.0.1");
			assert.match(await row("uptime"), /\d+ min \d+ s$/);
			assert.equal(await row("time-source"), "system clock");
			assert.match(await row("heap"), /^\d+ KB$/);
			assert.match(await row("heap-used"), /^\d+\.\d KB$/);
			assert.match(await row("time"), /\d/);
			const account = await page.textContent('#device-registrations [data-account="1"]');
			assert.match(account!, new RegExp(`127\\.0\\.0\\.1:${kamailioPort}UDPdoorregistered\\d+ s of 1800`));
			const sippPort = await freePort();
			const phone = sipp("uas", sippPort);
			peers.push(phone);
			await new Promise((r) => setTimeout(r, 300));
			await page.fill("#call-number", "127.0.0.1:" + sippPort);
			await page.click("#call-button");
			const deadline = Date.now() + 10000;
			while (!(await apiStatus()).calls.some((c) => c.state === "answered") && Date.now() < deadline)
				await new Promise((r) => setTimeout(r, 100));
			assert.ok((await apiStatus()).calls.some((c) => c.state === "answered"), "the test call was answered");
			await page.click("#hangup-button");
			assert.equal(await phone.exited, 0, phone.output());
			await page.click('button:text("Open Front door (relay 1)")');
			await page.waitForFunction("document.querySelector('#message')?.textContent === 'Relay 1 released'");
			for (const [w, name] of [[412, "page-device-412.png"], [1366, "page-device-1366.png"]] as const) {
				await page.setViewportSize({ width: w, height: 900 });
				await page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });
				// the registration table of a registered account fits the phone: no sideways scrolling of the page
				const wide = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth") as number;
				assert.ok(wide <= 0, `the Device tab at ${w} px is ${wide} px wider than the screen`);
			}
			await page.setViewportSize({ width: 412, height: 900 });
		});
	});

	describe("time (issue 15)", () => {
		it("Time: a zone picked from the common list fills the field and is saved; a wrong TZ string is refused with what is allowed; Status shows the local time in it", async () => {
			await tab("time");
			assert.ok((await page.$$eval('[data-suggest="time.zone"] option', (o) => o.map((x) => x.getAttribute("value")))).includes("AEST-10AEDT,M10.1.0,M4.1.0/3"));
			await page.fill('[data-path="time.zone"]', "Europe/Berlin");
			await page.click("#save");
			assert.match(await messageSettled(), /^Not saved: .*Time Zone: a POSIX TZ string such as CET-1CEST,M3\.5\.0,M10\.5\.0\/3/);
			await page.selectOption('[data-suggest="time.zone"]', "CET-1CEST,M3.5.0,M10.5.0/3");
			assert.equal(await page.inputValue('[data-path="time.zone"]'), "CET-1CEST,M3.5.0,M10.5.0/3");
			await saved();
			const c = (await page.evaluate(async () => (await fetch("/api/config")).json())) as { time: { zone: string } };
			assert.equal(c.time.zone, "CET-1CEST,M3.5.0,M10.5.0/3");
			await tab("status");
			await page.waitForSelector("#status-time");
			assert.match(await page.textContent("#status-time") ?? "", /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d CES?T \(UTC\+0[12]:00\), system clock$/);
			await tab("time");
			await page.selectOption('[data-suggest="time.zone"]', "UTC0");
			await saved();
		});
	});

	describe("network (issue 15)", () => {
		it("Network: a static address outside its gateway's subnet is refused naming the field; a good one is saved; the Wi-Fi password is never sent back", async () => {
			await tab("network");
			await page.selectOption('[data-path="network.addressing"]', "static");
			await page.fill('[data-path="network.address"]', "192.168.1.20");
			await page.fill('[data-path="network.gateway"]', "192.168.2.1");
			await page.click("#save");
			assert.match(await messageSettled(), /^Not saved: .*Gateway: empty, or an address in the subnet 192\.168\.1\.0\/24/);
			await page.fill('[data-path="network.gateway"]', "192.168.1.1");
			await page.fill('[data-path="network.wifi.password"]', "wifi secret 1");
			await page.click("#save");
			assert.match(await messageSettled(), /^Saved\. Network applies after a restart\. Restart now/);
			const c = (await page.evaluate(async () => (await fetch("/api/config")).json())) as { network: { addressing: string; gateway: string; wifi: { password: unknown } } };
			assert.deepEqual([c.network.addressing, c.network.gateway, c.network.wifi.password], ["static", "192.168.1.1", null]);
			await page.selectOption('[data-path="network.addressing"]', "dhcp");
			await page.click("#save");
			assert.match(await messageSettled(), /^Saved\./);
		});
	});

	describe("door and call history (issue 16)", () => {
		it("History: newest first, the test call (who answered, how long) and the doors opened by what; CSV export", async () => {
			await tab("history");
			await page.waitForSelector("#history tbody tr[data-ev]");
			const rows = await page.evaluate("Array.from(document.querySelectorAll('#history tbody tr')).map((x) => Array.from(x.querySelectorAll('td')).map((td) => td.textContent))") as string[][];
			assert.equal(rows[0][1], "Door opened", JSON.stringify(rows.slice(0, 3)));
			assert.equal(rows[0][5], "Front door by web page / API");
			const call = rows.find((r) => r[1] === "Outgoing call" && r[3] !== "not answered");
			assert.ok(call, "the answered test call: " + JSON.stringify(rows));
			assert.match(call[4]!, /^\d+ s$/, "how long they talked");
			assert.match(call[5]!, /^answered/);
			const times = await page.evaluate(async () => ((await (await fetch("/api/history?count=100")).json()) as { records: Array<{ t: number }> }).records.map((r) => r.t));
			assert.deepEqual(times, times.slice().sort((a, b) => b - a), "newest first");
			const [download] = await Promise.all([page.waitForEvent("download"), page.click("#history-csv")]);
			const path = join(ARTIFACTS, "portier-history.csv");
			await download.saveAs(path);
			const csv = (await import("node:fs")).readFileSync(path, "utf8").split("\r\n");
			assert.equal(csv[0], '"Time","Event","Who","Answered by","Duration","Details"');
			assert.equal(csv.length - 2, times.length, "one line per record");
			for (const [w, name] of [[412, "page-history-412.png"], [1366, "page-history-1366.png"]] as const) {
				await page.setViewportSize({ width: w, height: 900 });
				await page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });
			}
			await page.setViewportSize({ width: 412, height: 900 });
		});
	});

	describe("audio, syslog and every tab (issue 16)", () => {
		it("Audio: speaker volume, microphone gain and codec preference are saved; Syslog is on the events tab", async () => {
			await tab("audio");
			await page.fill('[data-path="audio.volume"]', "70");
			await page.fill('[data-path="audio.micGain"]', "150");
			await page.selectOption('[data-path="audio.codecs"]', "PCMA,PCMU");
			await saved();
			const c = (await page.evaluate(async () => (await fetch("/api/config")).json())) as { audio: unknown };
			assert.deepEqual(c.audio, { volume: 70, micGain: 150, codecs: "PCMA,PCMU" });
			await tab("mqtt");
			assert.ok(await page.$('[data-path="syslog.server"]'));
			assert.ok(await page.$('[data-path="actionUrls.alarm"]'));
		});

		it("screenshots of every tab at 412 and 1366 px", async () => {
			const tabs = await page.$$eval("nav [data-tab]", (b) => b.map((x) => x.getAttribute("data-tab")!));
			for (const width of [412, 1366]) {
				await page.setViewportSize({ width, height: 900 });
				for (const id of tabs) {
					await tab(id);
					await new Promise((r) => setTimeout(r, 150));
					await page.screenshot({ path: join(ARTIFACTS, `tab-${id}-${width}.png`), fullPage: true });
					// nothing wider than the phone: no sideways scrolling of the whole page
					const wide = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth") as number;
					assert.ok(wide <= 0, `tab ${id} at ${width} px is ${wide} px wider than the screen`);
				}
			}
			await page.setViewportSize({ width: 412, height: 900 });
		});
	});

	describe("bugs of issue 16", () => {
		it("an edit left on another tab is saved by Save (its tab is marked) and is there after a reload", async () => {
			await tab("account");
			await page.fill('[data-path="accounts.1.label"]', "Front door");
			await tab("intercom");
			assert.ok(await page.$eval('nav [data-tab="account"]', (e) => e.classList.contains("dirty")), "the Account tab shows unsaved changes");
			assert.ok(!await page.$eval('nav [data-tab="intercom"]', (e) => e.classList.contains("dirty")));
			await page.screenshot({ path: join(ARTIFACTS, "page-unsaved-mark.png") });
			await saved();
			assert.ok(!await page.$eval('nav [data-tab="account"]', (e) => e.classList.contains("dirty")), "saved: no mark");
			await page.reload();
			await page.waitForSelector("nav [data-tab=status]");
			await tab("account");
			assert.equal(await page.inputValue('[data-path="accounts.1.label"]'), "Front door");
		});

		it("a refused value on another tab: the page goes there, names the field by its label and scrolls it into view above the Save bar (phone)", async () => {
			await page.setViewportSize({ width: 412, height: 900 });
			await tab("intercom");
			await page.fill('[data-path="station.pushToHangUp.holdTime"]', "99");
			await tab("account");
			await page.evaluate("scrollTo(0, 0)");
			await page.click("#save");
			await page.waitForSelector("#tab-intercom .error");
			const message = await messageSettled();
			assert.match(message, /^Not saved: Push to Hang Up › Hold time: 0-60/);
			assert.ok(!message.includes("station."), "no internal path: " + message);
			const box = await page.evaluate("(() => { const r = document.querySelector('#tab-intercom .error').getBoundingClientRect(); const bar = document.querySelector('.bar').getBoundingClientRect(); return { top: r.top, bottom: r.bottom, bar: bar.top }; })()") as { top: number; bottom: number; bar: number };
			assert.ok(box.top >= 0 && box.bottom <= box.bar, "the message is visible above the Save bar: " + JSON.stringify(box));
			assert.equal(await page.evaluate("document.activeElement.dataset.path"), "station.pushToHangUp.holdTime", "the field has the focus");
			await page.screenshot({ path: join(ARTIFACTS, "page-refused-phone.png") });
			await page.click("#discard");
		});

		it("the status page has no stray null with the built-in server off; its log is newest first, with clock times, and keeps its scroll", async () => {
			await tab("status");
			await page.waitForSelector("#status-registrations");
			assert.ok(!(await page.textContent("#status"))!.includes("null"), "no stray null");
			const csrf = await page.evaluate("S.csrf") as string;
			for (let i = 0; i < 12; i++)
				assert.equal(await page.evaluate(async (token) => (await fetch("/api/relays/1/open", { method: "POST", headers: { "x-csrf-token": token } })).status, csrf), 200);
			await page.waitForFunction("document.querySelector('#log').scrollHeight > document.querySelector('#log').clientHeight + 40", undefined, { timeout: 5000 });
			await page.waitForFunction("document.querySelector('#log').textContent.split('\\n')[0].endsWith('opened by api')", undefined, { timeout: 5000 });
			const first = (await page.textContent("#log"))!.split("\n")[0];
			assert.match(first, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d portier: door 1 opened by api$/, "newest first, with its time: " + first);
			await page.$eval("#log", (e) => { e.scrollTop = 30; });
			await new Promise((r) => setTimeout(r, 4500));
			assert.equal(await page.$eval("#log", (e) => e.scrollTop), 30, "the log did not jump back");
		});

		it("failed logins and password changes are logged; the password change asks twice and clears its fields", async () => {
			const r = await page.evaluate(async () => (await fetch("/api/session", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ password: "not-the-one" }) })).status);
			assert.equal(r, 401);
			assert.ok((await statusLog()).some((l) => /wrong administrator password from/.test(l)), "a failed login leaves a line");
			await tab("maintenance");
			await page.fill("#pw-current", PASSWORD);
			await page.fill("#pw-new", PASSWORD);
			await page.fill("#pw-again", PASSWORD + "x");
			await page.click("#pw-change");
			assert.equal(await messageSettled(), "The new passwords differ.");
			await page.fill("#pw-again", PASSWORD);
			await page.click("#pw-change");
			await page.waitForFunction("document.querySelector('#message')?.textContent === 'Password changed.'");
			for (const id of ["#pw-current", "#pw-new", "#pw-again"])
				assert.equal(await page.inputValue(id), "", id + " is cleared");
			assert.ok((await statusLog()).some((l) => /administrator password changed from/.test(l)), "the change leaves a line");
		});

		it("the login and first-password boxes are wide on a desktop and a phone", async () => {
			for (const width of [1366, 412]) {
				const other = await browser.newPage({ viewport: { width, height: 900 } });
				await other.goto(station.base + "/");
				await other.waitForSelector("#login-password");
				const w = await other.$eval("#login-password", (e) => e.getBoundingClientRect().width);
				assert.ok(w >= 250, `the password box is ${w} px wide at ${width} px`);
				await other.screenshot({ path: join(ARTIFACTS, `page-login-${width}.png`) });
				await other.close();
			}
		});

		it("a setting that applies after a restart says so, with a Restart button", async () => {
			await tab("intercom");
			await page.fill('[data-path="sip.port"]', "5070");
			await page.click("#save");
			assert.match(await messageSettled(), /^Saved\. SIP › Direct IP Port applies after a restart\./);
			assert.ok(await page.$("#restart-now"));
			await page.fill('[data-path="sip.port"]', "5060");
			await page.click("#save");
			await messageSettled();
			await tab("mqtt");
			await page.fill('[data-path="mqtt.keepAlive"]', "61");
			await saved();
		});

		it("ranges read \"from -1 to 600\"; no video for auto-answer; HEAD / answers 200; un-registering is logged as such", async () => {
			await tab("intercom");
			assert.match(await page.$eval('[data-path="station.hangUpAfterOpen"]', (e) => e.closest("label")!.textContent!), /from -1 to 600 seconds/);
			await tab("feature");
			assert.deepEqual(await page.$$eval('[data-path="station.autoAnswerIp.mode"] option', (o) => o.map((x) => x.getAttribute("value"))), ["audio"]);
			assert.equal(await page.evaluate(async () => (await fetch("/", { method: "HEAD" })).status), 200);
			await tab("account");
			await page.uncheck('[data-path="accounts.1.enabled"]');
			await saved();
			const deadline = Date.now() + 5000;
			while (!(await statusLog()).some((l) => /account 1 unregistered \(200/.test(l)) && Date.now() < deadline)
				await new Promise((r) => setTimeout(r, 100));
			assert.ok((await statusLog()).some((l) => /account 1 unregistered \(200/.test(l)), (await statusLog()).join("\n"));
			assert.ok(!(await statusLog()).some((l) => /not registered \(200/.test(l)));
			await page.check('[data-path="accounts.1.enabled"]');
			await saved();
			await tab("status");
			await page.waitForFunction("document.querySelector('[data-account=\"1\"] .state')?.textContent === 'registered'", undefined, { timeout: 15000 });
		});
	});

	it("a web call from the page rings a SIPp phone; Hang up ends it", async () => {
		const sippPort = await freePort();
		const phone = sipp("uas", sippPort);
		peers.push(phone);
		await new Promise((r) => setTimeout(r, 300));
		await tab("intercom");
		await page.screenshot({ path: join(ARTIFACTS, "page-intercom.png"), fullPage: true });
		await page.fill("#call-number", "127.0.0.1:" + sippPort);
		await page.click("#call-button");
		const deadline = Date.now() + 10000;
		while (!(await apiStatus()).calls.some((c) => c.state === "answered") && Date.now() < deadline)
			await new Promise((r) => setTimeout(r, 100));
		assert.ok((await apiStatus()).calls.some((c) => c.state === "answered"), "the phone answered");
		await page.click("#hangup-button");
		assert.equal(await phone.exited, 0, phone.output());
	});

	it("opens relay 1 from the page", async () => {
		await tab("relay");
		await page.click('[data-open="1"]');
		await page.waitForFunction("document.querySelector('#message')?.textContent === 'Relay 1 released'");
		assert.deepEqual((await apiStatus()).relays, [{ id: 1, active: true }]);
		await page.screenshot({ path: join(ARTIFACTS, "page-relay.png"), fullPage: true });
	});

	it("adds a call schedule with time inputs and weekday boxes (a bad window is refused first); an input's template is chosen from a list", async () => {
		await tab("schedule");
		await page.click('[data-add="station.schedules"]');
		await page.fill('[data-path="station.schedules[0].name"]', "Night");
		await page.fill('[data-path="station.schedules[0].numbers"]', "1001\n1002");
		await page.click('[data-add="station.schedules[0].windows"]');
		const days = '[data-path="station.schedules[0].windows[0].days"]';
		await page.click(`[data-path="station.schedules[0].windows[0]"] [data-days="1,2,3,4,5"]`);
		assert.deepEqual(await page.$$eval(`${days} input:checked`, (c) => c.map((x) => x.getAttribute("data-day"))), ["1", "2", "3", "4", "5"], "Mon-Fri in one click");
		for (const d of [1, 2, 3, 4, 5])
			await page.uncheck(`${days} [data-day="${d}"]`);
		await page.check(`${days} [data-day="6"]`);
		await page.check(`${days} [data-day="0"]`);
		assert.equal(await page.getAttribute('[data-path="station.schedules[0].windows[0].start"]', "type"), "time");
		await page.fill('[data-path="station.schedules[0].windows[0].start"]', "10:00");
		await page.fill('[data-path="station.schedules[0].windows[0].end"]', "10:00");
		await page.click("#save");
		await page.waitForSelector(".error");
		await page.waitForFunction("document.querySelector('#message')?.textContent !== 'Saving…'");
		assert.equal(await page.textContent(".error"), "start and end in minutes 0-1440, not equal");
		assert.match(await page.textContent("#message") ?? "", /^Not saved: Call Schedules › Night › Window 1: /);
		await page.fill('[data-path="station.schedules[0].windows[0].start"]', "22:00");
		await page.fill('[data-path="station.schedules[0].windows[0].end"]', "06:00");
		await saved();
		const stored = (await page.evaluate(async () => (await fetch("/api/config")).json()) as { station: { schedules: Array<{ windows: unknown[] }> } }).station.schedules[0].windows[0];
		assert.deepEqual(stored, { days: [0, 6], start: 1320, end: 360 });
		await page.screenshot({ path: join(ARTIFACTS, "page-schedule.png"), fullPage: true });
		await tab("relay");
		assert.deepEqual(await page.$$eval('[data-path="station.inputs[0].template"] option', (o) => o.map((x) => x.getAttribute("value"))), ["", "Night"]);
		await page.selectOption('[data-path="station.inputs[0].template"]', "Night");
		await saved();
	});

	it("the other pages render: Call Feature, Multicast, MQTT, Built-in Server, Maintenance", async () => {
		for (const id of ["feature", "multicast", "mqtt", "server", "maintenance"]) {
			await tab(id);
			await page.screenshot({ path: join(ARTIFACTS, `page-${id}.png`), fullPage: true });
		}
		await tab("feature");
		assert.ok(await page.$('[data-path="station.dnd.1.returnCode"]'));
		assert.ok(await page.$('[data-path="sip.sessionTimer.expires"]'));
	});

	it("Built-in Server: a subscriber added on the page (extension and password generated) registers, is listed online and removed from Status", async () => {
		await tab("server");
		await page.check('[data-path="server.enabled"]');
		await page.selectOption('[data-path="server.ringMode"]', "extensions");
		await page.click('[data-add="server.subscribers"]');
		const note = await page.textContent("#message");
		const m = /Subscriber (\d+): password (\S+)/.exec(note ?? "");
		assert.ok(m, "the new subscriber's password is shown once: " + note);
		assert.equal(await page.inputValue('[data-path="server.subscribers[0].user"]'), "1", "the first free extension");
		await page.click('[data-add="server.groups"]');
		await page.fill('[data-path="server.groups[0].number"]', "600");
		await page.fill('[data-path="server.groups[0].members"]', "1");
		await saved();
		await page.screenshot({ path: join(ARTIFACTS, "page-server-saved.png"), fullPage: true });
		const port = await freePort();
		const unit = sipp(scenarioWith("register-auth.xml", { EXPECTED: "200", EXPIRES: "360", CONTACT_PORT: String(port) }), port, "127.0.0.1:" + station.sipPort, ["-s", m[1], "-au", m[1], "-ap", m[2]]);
		peers.push(unit);
		assert.equal(await unit.exited, 0, unit.output().slice(-1500));
		await tab("status");
		await page.waitForSelector('[data-device="1"] .state .ok', { timeout: 5000 });
		assert.match(await page.textContent("#status-devices") ?? "", /SIPp indoor unit/);
		await page.screenshot({ path: join(ARTIFACTS, "page-status-devices.png"), fullPage: true });
		await page.click('[data-device="1"] button:text("Remove")');
		await page.waitForSelector("p#status-devices", { timeout: 5000 });
	});

	it("upgrades the firmware from Maintenance: a refused image says why, a good one is installed and the station restarts", async () => {
		await tab("maintenance");
		await page.setInputFiles("#firmware-file", { name: "s3.bin", mimeType: "application/octet-stream", buffer: Buffer.from(signedImage(espImage({ chip: 9 }))) });
		await page.click("#firmware-upload");
		await page.waitForFunction("(document.querySelector('#message')?.textContent ?? '').startsWith('Upgrade refused')", undefined, { timeout: 10000 });
		assert.equal(await page.textContent("#message"), "Upgrade refused: image is for ESP32-S3, this panel is ESP32");
		assert.equal(await page.isHidden("#firmware-progress"), true);
		const image = espImage({ segments: [120000, 40000], version: "0.3.0" });
		await page.setInputFiles("#firmware-file", { name: "portier.signed.bin", mimeType: "application/octet-stream", buffer: Buffer.from(signedImage(image)) });
		await page.click("#firmware-upload");
		await page.waitForFunction("(document.querySelector('#message')?.textContent ?? '').startsWith('Firmware')", undefined, { timeout: 10000 });
		assert.equal(await page.textContent("#message"), `Firmware portier 0.3.0 installed (${image.length} bytes). The station restarts with it…`);
		assert.equal(await page.$eval("#firmware-progress", (p) => (p as unknown as { value: number }).value), 1);
		await page.screenshot({ path: join(ARTIFACTS, "maintenance-upgraded.png"), fullPage: true });
		// restarted with it: the page asks to log in again, and the new firmware confirmed itself
		await page.waitForSelector("#login-password", { timeout: 15000 });
		assert.match(station.output(), /update: new firmware confirmed/);
		await login(false);
	});

	it("reboots from Maintenance, and after the process restarts every setting is kept", async () => {
		await tab("maintenance");
		await page.click("#reboot");
		const deadline = Date.now() + 10000;
		while ((station.output().match(/portier: SIP on/g) ?? []).length < 2 && Date.now() < deadline)
			await new Promise((r) => setTimeout(r, 100));
		assert.match(station.output(), /portier: rebooting/);
		// the page notices the station is back (our session is gone) and asks to log in
		await page.waitForSelector("#login-password", { timeout: 10000 });
		assert.equal(await page.$("#login-again"), null, "a login, not a first-password form");
		// and a real power cycle: the process ends and starts again on the same state directory
		await station.stop();
		station = await startStation({ state: station.state, sipPort: station.sipPort, httpPort: station.httpPort, args: UPDATE_KEY });
		await login(false);
		await tab("account");
		assert.equal(await page.inputValue('[data-path="accounts.1.server"]'), "127.0.0.1");
		assert.equal(await page.inputValue('[data-path="accounts.1.port"]'), String(kamailioPort));
		assert.equal(await page.getAttribute('[data-path="accounts.1.password"]', "placeholder"), "set (unchanged)");
		await tab("intercom");
		assert.equal(await page.inputValue('[data-path="station.maxCallTime"]'), "120");
		await tab("schedule");
		assert.equal(await page.inputValue('[data-path="station.schedules[0].name"]'), "Night");
		assert.deepEqual(await page.$$eval('[data-path="station.schedules[0].windows[0].days"] input:checked', (c) => c.map((x) => x.getAttribute("data-day"))), ["6", "0"]);
		assert.equal(await page.inputValue('[data-path="station.schedules[0].windows[0].start"]'), "22:00");
		await tab("relay");
		assert.equal(await page.inputValue('[data-path="station.inputs[0].template"]'), "Night");
		await tab("status");
		await page.waitForFunction("document.querySelector('[data-account=\"1\"] .state')?.textContent === 'registered'", undefined, { timeout: 15000 });
		assert.ok((await statusLog()).some((l) => l.endsWith("web: reboot requested")), "the log from before the restarts is kept");
	});
});
