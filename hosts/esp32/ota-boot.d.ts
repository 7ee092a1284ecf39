// The project's native ESP-IDF rollback calls (ota-boot.js, ota-boot.c).
export function pending(): boolean;
export function confirm(): void;
export function rollback(): void;
export function restart(): void;
/** The running image's app descriptor: "version date time". */
export function running(): string;
/** Why ESP-IDF refused the next partition's image: esp_image_verify()'s code and whether PSA Crypto hashes SHA-256. */
export function diagnose(): string;
