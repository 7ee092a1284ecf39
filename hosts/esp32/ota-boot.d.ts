// The project's native ESP-IDF rollback calls (ota-boot.js, ota-boot.c).
export function pending(): boolean;
export function confirm(): void;
export function rollback(): void;
export function restart(): void;
/** The running image's app descriptor: "version date time". */
export function running(): string;
export function diagnose(): string;
