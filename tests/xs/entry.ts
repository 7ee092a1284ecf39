// The test files that run inside XS as well as under Node: everything in
// tests/core (firmware code only, no Node APIs). The harness comes first.
import "./harness.js";
import "../core/torture.test.js";
import "../core/message.test.js";
import "../core/text-helpers.test.js";
import "../core/uri.test.js";
import "../core/headers.test.js";
import "../core/framer.test.js";
import "../core/serialize.test.js";
import "../core/digest.test.js";
import "../core/resolver.test.js";
import "../core/media.test.js";
import "../core/station-config.test.js";
import "../core/config.test.js";
import "../core/pem.test.js";
import "../core/recent-log.test.js";
import "../core/log-limit.test.js";
import "../core/trust.test.js";
import "../core/source-limit.test.js";
import "../core/admin-login.test.js";
import "../core/ring.test.js";
import "../core/panel-pins.test.js";
import "../core/panel-audio.test.js";
import "../core/journal.test.js";
import "../core/syslog-levels.test.js";
import "../core/tz.test.js";
import "../core/sntp.test.js";
