// Message franking (docs/e2ee.md §9; the Python SDK's franking.py): the sender commits to each
// body with a fresh key Kf carried inside the ciphertext; frankingTag = HMAC-SHA256(Kf, body).

import { equalBytes, hmacSha256, KEY_BYTES, type Random } from "./primitives";

export const FRANKING_KEY_BYTES = KEY_BYTES;

export function newFrankingKey(random: Random): Uint8Array {
  return random(FRANKING_KEY_BYTES);
}

export function commit(frankingKey: Uint8Array, body: Uint8Array): Promise<Uint8Array> {
  return hmacSha256(frankingKey, body);
}

/** True if `frankingKey` and `body` open `tag` (compared in constant time). */
export async function opens(
  frankingKey: Uint8Array,
  body: Uint8Array,
  tag: Uint8Array,
): Promise<boolean> {
  return equalBytes(await commit(frankingKey, body), tag);
}
