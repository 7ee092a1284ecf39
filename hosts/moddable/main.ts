/*
 * The firmware's entry on the Moddable SDK. Everything else is in the
 * module "firmware" (hosts/moddable/firmware.ts), preloaded through
 * hosts/moddable/preload.ts: a main module is loaded at run time, in RAM, so
 * it holds only this.
 */
import { start } from "preload";

try {
	start();
}
catch (e) {
	trace(`portier: cannot start: ${String(e)} ${(e as Error).stack ?? ""}\n`);
}
