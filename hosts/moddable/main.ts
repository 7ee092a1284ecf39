/*
 * The firmware's entry on the Moddable SDK. Everything else is in the
 * preloaded module "firmware" (hosts/moddable/firmware.ts): a main module is
 * loaded at run time, in RAM, so it holds only this.
 */
import { start } from "firmware";

try {
	start();
}
catch (e) {
	trace(`portier: cannot start: ${String(e)} ${(e as Error).stack ?? ""}\n`);
}
