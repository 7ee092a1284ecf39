// Walking the configuration schema in tests.
import type { SchemaNode } from "../../modules/config/schema.js";

/** Every leaf (a value the page shows as one field) of a schema node, with its dotted path. */
export function leaves(node: SchemaNode, path = "", out: Array<{ path: string; node: SchemaNode }> = []): Array<{ path: string; node: SchemaNode }> {
	if (node.kind === "object") {
		for (const key of Object.keys(node.fields))
			leaves(node.fields[key], path ? path + "." + key : key, out);
	}
	else
		out.push({ path, node });
	return out;
}
