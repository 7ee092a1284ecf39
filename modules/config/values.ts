/*
 * Working with values of a schema: the factory defaults, validation (every
 * error names the field and what is allowed, SPEC §5), partial updates with
 * write-only secrets, and the redacted copy that may leave the device.
 * Nothing here changes its inputs: a rejected update leaves the stored
 * configuration as it was.
 */
import type { ListNode, ObjectNode, SchemaNode, TextNode } from "./schema.js";
import { directIp } from "../sip/ua.js";
import { isPemCertificates } from "../io/pem.js";
import { parseTz } from "../time/tz.js";

export interface FieldError {
	field: string;
	message: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function hasOwn(o: object, key: string): boolean {
	return Object.prototype.hasOwnProperty.call(o, key);
}

function isRecord(v: unknown): v is Record<string, unknown> {
	return typeof v === "object" && v !== null && !Array.isArray(v);
}

function join(path: string, key: string): string {
	return path ? path + "." + key : key;
}

/** A destination a station can call: a SIP number or user, a SIP URI, or an IP address (keypad form too). */
export function isDialable(v: unknown): boolean {
	if (typeof v !== "string" || v.length === 0 || v.length > 128)
		return false;
	if (directIp(v))
		return true;
	if (v.startsWith("sip:") || v.startsWith("sips:"))
		return /^sips?:[^\s<>"]+$/.test(v);
	return /^[A-Za-z0-9_.!~*'()&=+$,;?/%#-]+$/.test(v);
}

/**
 * A deep copy of JSON data, made by hand: XS's JSON.stringify marks the
 * objects it visits, which fails on tables preloaded into flash ("read only
 * value"), so the schema and its defaults are never stringified directly.
 */
export function copyJson<T>(value: T): T {
	if (Array.isArray(value))
		return value.map((v) => copyJson(v)) as T;
	if (value && typeof value === "object") {
		const out: Record<string, unknown> = {};
		for (const key of Object.keys(value))
			out[key] = copyJson((value as Record<string, unknown>)[key]);
		return out as T;
	}
	return value;
}

/** The default value of a node (a fresh, mutable copy). */
export function defaultsOf(node: SchemaNode): unknown {
	switch (node.kind) {
		case "object": {
			const out: Record<string, unknown> = {};
			for (const key of Object.keys(node.fields))
				out[key] = defaultsOf(node.fields[key]);
			return out;
		}
		case "list":
			return copyJson(node.def);
		default:
			return node.def;
	}
}

/** What a node allows, in words. */
export function allowedOf(node: SchemaNode): string {
	switch (node.kind) {
		case "int":
			return node.min + "-" + node.max + (node.unit ? " " + node.unit : "");
		case "bool":
			return "true or false";
		case "choice":
			return node.values.length === 2 ? node.values[0] + " or " + node.values[1] : "one of " + node.values.join(", ");
		case "text":
		case "list":
			return node.allowed;
		case "object":
			return "an object with " + Object.keys(node.fields).join(", ");
	}
}

function textOk(node: TextNode, v: unknown): boolean {
	if (typeof v !== "string" || v.length > node.max)
		return false;
	if (node.dialable && isDialable(v))
		return true;
	if (node.pem)
		return isPemCertificates(v);
	if (node.tz)
		return parseTz(v) !== undefined;
	if (node.pattern)
		return new RegExp(node.pattern).test(v);
	return !node.dialable;
}

/** Check a value against its node; errors are appended to `errors`. */
export function validate(node: SchemaNode, value: unknown, path: string, errors: FieldError[]): void {
	const fail = (field: string, n: SchemaNode) => {
		errors.push({ field: field || "(root)", message: allowedOf(n) });
	};
	switch (node.kind) {
		case "int":
			if (typeof value !== "number" || !Number.isInteger(value) || value < node.min || value > node.max)
				fail(path, node);
			return;
		case "bool":
			if (typeof value !== "boolean")
				fail(path, node);
			return;
		case "choice":
			if (node.values.indexOf(value as string | number) < 0)
				fail(path, node);
			return;
		case "text":
			if (!textOk(node, value))
				fail(path, node);
			return;
		case "list":
			validateList(node, value, path, errors);
			return;
		case "object":
			if (!isRecord(value)) {
				fail(path, node);
				return;
			}
			for (const key of Object.keys(value)) {
				if (!hasOwn(node.fields, key))
					errors.push({ field: join(path, key), message: "unknown field (allowed: " + Object.keys(node.fields).join(", ") + ")" });
			}
			for (const key of Object.keys(node.fields))
				validate(node.fields[key], value[key], join(path, key), errors);
	}
}

function validateList(node: ListNode, value: unknown, path: string, errors: FieldError[]): void {
	if (!Array.isArray(value) || value.length < node.min || value.length > node.max) {
		errors.push({ field: path, message: node.allowed });
		return;
	}
	const of = node.of;
	if (of.kind === "int" || of.kind === "choice" || of.kind === "bool") {
		// a list of small values (days of the week) is one field on the page: one message for it
		const inner: FieldError[] = [];
		value.forEach((v, i) => validate(of, v, path + "[" + i + "]", inner));
		if (inner.length)
			errors.push({ field: path, message: node.allowed });
		return;
	}
	value.forEach((v, i) => validate(of, v, path + "[" + i + "]", errors));
}

/**
 * Apply a partial update: objects merge field by field, lists and scalars are
 * replaced whole. A secret given as null keeps its stored value. Fields the
 * schema does not know are errors. Returns a new value; `current` is untouched.
 */
export function merge(node: SchemaNode, current: unknown, patch: unknown, path: string, errors: FieldError[]): unknown {
	if (node.kind === "object") {
		if (!isRecord(patch)) {
			errors.push({ field: path || "(root)", message: allowedOf(node) });
			return current;
		}
		const out: Record<string, unknown> = { ...(current as Record<string, unknown>) };
		for (const key of Object.keys(patch)) {
			if (!hasOwn(node.fields, key)) {
				errors.push({ field: join(path, key), message: "unknown field (allowed: " + Object.keys(node.fields).join(", ") + ")" });
				continue;
			}
			out[key] = merge(node.fields[key], out[key], patch[key], join(path, key), errors);
		}
		return out;
	}
	if (node.kind === "text" && node.secret && patch === null)
		return current;
	if (node.kind === "list" && node.key && node.of.kind === "object" && Array.isArray(patch) && Array.isArray(current)) {
		// items sent back keep the secrets of the stored item with the same key
		const key = node.key;
		const fields = node.of.fields;
		return patch.map((item: unknown) => {
			if (!isRecord(item))
				return copyJson(item);
			const stored = (current as unknown[]).find((c) => isRecord(c) && c[key] === item[key]) as Record<string, unknown> | undefined;
			const out = withDefaults(node.of, copyJson(item)) as Record<string, unknown>;
			for (const name of Object.keys(fields)) {
				const f = fields[name];
				if (f.kind === "text" && f.secret && out[name] === null)
					out[name] = stored ? stored[name] : null;
			}
			return out;
		});
	}
	if (node.kind === "list" && node.of.kind === "object" && Array.isArray(patch))
		return withDefaults(node, copyJson(patch));	// an item may leave out fields that have defaults
	return copyJson(patch ?? null);
}

/**
 * A whole value from one that may leave fields out: every object field the
 * value lacks gets its default (an import: "what the file leaves out gets its
 * default"). Fields the schema does not know stay, for merge to refuse.
 */
export function withDefaults(node: SchemaNode, value: unknown): unknown {
	if (node.kind === "list" && Array.isArray(value))
		return value.map((item) => withDefaults(node.of, item));
	if (node.kind !== "object" || !isRecord(value))
		return value;
	const out: Record<string, unknown> = { ...value };
	for (const key of Object.keys(node.fields))
		out[key] = hasOwn(value, key) ? withDefaults(node.fields[key], value[key]) : defaultsOf(node.fields[key]);
	return out;
}

/** A copy safe to send out: secrets become null when set and "" when empty (write-only, SPEC §5). */
export function redact(node: SchemaNode, value: unknown): Json {
	if (node.kind === "object") {
		const out: Record<string, Json> = {};
		const v = value as Record<string, unknown>;
		for (const key of Object.keys(node.fields))
			out[key] = redact(node.fields[key], v[key]);
		return out;
	}
	if (node.kind === "list")
		return (value as unknown[]).map((item) => redact(node.of, item));
	if (node.kind === "text" && node.secret)
		return value ? null : "";
	return value as Json;
}

/**
 * Make a stored value fit the schema: missing fields get their defaults, a
 * field that no longer validates is reset to its default (and reported), and
 * fields the schema dropped are removed. Used after loading and migrating.
 */
export function repair(node: SchemaNode, value: unknown, path: string, reset: string[]): unknown {
	if (node.kind === "object") {
		if (!isRecord(value)) {
			if (value !== undefined)
				reset.push(path || "(root)");
			return defaultsOf(node);
		}
		const out: Record<string, unknown> = {};
		for (const key of Object.keys(node.fields))
			out[key] = repair(node.fields[key], value[key], join(path, key), reset);
		return out;
	}
	if (node.kind === "list" && Array.isArray(value) && value.length >= node.min && value.length <= node.max && (node.of.kind === "object" || node.of.kind === "list"))
		return value.map((item, i) => repair(node.of, item, path + "[" + i + "]", reset));
	const errors: FieldError[] = [];
	validate(node, value, path, errors);
	if (errors.length === 0)
		return value;
	if (value !== undefined)
		reset.push(path);
	return defaultsOf(node);
}

/** Reset the field at a path ("station.inputs[0].relay") to its default, in place. */
export function resetAt(root: ObjectNode, value: Record<string, unknown>, path: string): boolean {
	const steps: Array<string | number> = [];
	for (const part of path.split(".")) {
		const bracket = part.indexOf("[");
		steps.push(bracket < 0 ? part : part.slice(0, bracket));
		for (let i = bracket; i >= 0; i = part.indexOf("[", i + 1))
			steps.push(Number(part.slice(i + 1, part.indexOf("]", i))));
	}
	let node: SchemaNode = root;
	let holder: unknown = undefined;
	let target: unknown = value;
	for (const step of steps) {
		holder = target;
		if (typeof step === "number") {
			if (node.kind !== "list" || !Array.isArray(target) || step >= target.length)
				return false;
			node = node.of;
		}
		else {
			if (node.kind !== "object" || !hasOwn(node.fields, step) || !isRecord(target))
				return false;
			node = node.fields[step];
		}
		target = (target as Record<string | number, unknown>)[step];
	}
	(holder as Record<string | number, unknown>)[steps[steps.length - 1]] = defaultsOf(node);
	return true;
}
