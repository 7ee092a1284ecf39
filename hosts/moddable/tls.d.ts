// The SDK's TLS socket (examples/io/tcp/tlssocket), as this host uses it.
// The SDK's own typings declare it, but list the file under another name
// (embedded:io/socket/tls), so mcconfig's type check would not find it:
// main.ts references this file instead.
declare module "embedded:io/socket/tcp/tls" {
	export default class TLSSocket {
		constructor(options: object);
		close(): void;
		read(count?: number | ArrayBufferLike): undefined | ArrayBufferLike;
		write(buffer: ArrayBufferLike | ArrayBufferView): number;
		format: string;
	}
}
