// Safety numbers (docs/e2ee.md §10; the Python SDK's fingerprint.py): Signal's
// NumericFingerprint (version 0, 5200 iterations of SHA-512) over all of a person's device keys.

import { compareBytes, concat, equalBytes, hex, sha512, utf8 } from "./primitives";

export const FINGERPRINT_ITERATIONS = 5200;
const VERSION = Uint8Array.of(0, 0);
const QR_PREFIX = "disco-sn:1:";

/** One person's 64-byte iterated hash. */
export async function fingerprint(userId: string, identityKeys: Uint8Array[]): Promise<Uint8Array> {
  if (identityKeys.length === 0) throw new Error("a fingerprint needs at least one identity key");
  const keys = concat(...[...identityKeys].sort(compareBytes));
  let digest = sha512(concat(VERSION, keys, utf8(userId)));
  for (let i = 0; i < FINGERPRINT_ITERATIONS; i++) digest = sha512(concat(digest, keys));
  return digest;
}

/** The first six 5-byte chunks, each as a big-endian integer mod 100000: 30 digits. */
export function digitsOf(digest: Uint8Array): string {
  let out = "";
  for (let i = 0; i < 30; i += 5) {
    let value = 0n;
    for (const byte of digest.subarray(i, i + 5)) value = (value << 8n) | BigInt(byte);
    out += (value % 100000n).toString().padStart(5, "0");
  }
  return out;
}

export interface SafetyNumber {
  digits: string; // 60 decimal digits
  groups: string[]; // 12 groups of 5, as shown
  qrPayload: string;
}

export async function safetyNumber(
  userId: string,
  identityKeys: Uint8Array[],
  peerId: string,
  peerIdentityKeys: Uint8Array[],
): Promise<SafetyNumber> {
  const mine = await fingerprint(userId, identityKeys);
  const theirs = await fingerprint(peerId, peerIdentityKeys);
  // Sorted as Python sorts (digits, first 32 bytes) tuples: digits, then bytes on a tie.
  const ordered = [
    { digits: digitsOf(mine), scannable: mine.slice(0, 32) },
    { digits: digitsOf(theirs), scannable: theirs.slice(0, 32) },
  ].sort((a, b) =>
    a.digits < b.digits ? -1 : a.digits > b.digits ? 1 : compareBytes(a.scannable, b.scannable),
  );
  const digits = ordered.map((o) => o.digits).join("");
  return {
    digits,
    groups: Array.from({ length: 12 }, (_, i) => digits.slice(5 * i, 5 * i + 5)),
    qrPayload: QR_PREFIX + ordered.map((o) => hex(o.scannable)).join(":"),
  };
}

/** True if a scanned QR payload shows this same pair of fingerprints (constant time). */
export function qrMatches(number: SafetyNumber, scanned: string): boolean {
  return equalBytes(utf8(number.qrPayload), utf8(scanned));
}
