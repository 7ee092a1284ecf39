/*
 * The one module the manifests name in their `preload` lists: it imports the
 * firmware, and with it everything the firmware imports, so that all of it
 * is preloaded (made at build time, kept in flash) through this module.
 *
 * Why only this one: the SDK's linker (xsl) keeps the byte code of a module
 * that a preload list names out of flash's code tables, and a function
 * expression such a module evaluates at run time (an arrow function, a
 * closure, a class made in a function) gets a copy of its byte code in the
 * XS heap, each time (XS_CODE_CODE: 1.4 KB for the HTTP getter's closure,
 * 7.7 KB in all at idle, measured in the simulator). A module preloaded
 * because a preloaded module imports it keeps its byte code in flash, and
 * its closures point at it (XS_CODE_CODE_ARCHIVE). So this module holds no
 * function of its own.
 */
export { start } from "firmware";
