// The SDK's ECMA-419 HTTP server (examples/io/listener/httpserver), which
// @moddable/typings 5.6.0 does not declare: the shape modules/io/types.ts
// describes and modules/web/server.ts uses.
declare module "embedded:network/http/server" {
	import type { HTTPServerOptions } from "io/types";
	export default class HTTPServer {
		constructor(options: HTTPServerOptions);
		close(): void;
		readonly port: number;
	}
}
