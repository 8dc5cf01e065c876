// The only cryptographic primitives end-to-end encryption uses (docs/e2ee.md §1), each one call
// into libsodium.js (sumo build: it has the Ed25519 to X25519 conversions) or WebCrypto. Nothing
// here is home-made; the Python SDK's primitives.py makes the same calls with the same bytes.
//
// Randomness is always passed in (a `Random`), so tests and the vectors can fix it.

import sodium from "libsodium-wrappers-sumo";
import { DecryptionFailed, MalformedMessage, UntrustedKeys } from "./errors";

export const KEY_BYTES = 32;
export const NONCE_BYTES = 24;
export const TAG_BYTES = 16;
export const SIGNATURE_BYTES = 64;

export type Random = (size: number) => Uint8Array;

/** libsodium's CSPRNG (`randombytes_buf`); call `ready()` first. */
export const systemRandom: Random = (size) => sodium.randombytes_buf(size);

/** libsodium's WebAssembly is loaded once; every entry point of this folder awaits it. */
export function ready(): Promise<void> {
  return sodium.ready;
}

const subtle = (): SubtleCrypto => globalThis.crypto.subtle;

// --- bytes ----------------------------------------------------------------------------------

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Equal bytes, in time independent of where they differ (libsodium's `memcmp`). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && (a.length === 0 || sodium.memcmp(a, b));
}

/** Bytewise order, for sorting keys and device addresses as Python sorts bytes. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function hex(data: Uint8Array): string {
  return Array.from(data, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function unhex(text: string): Uint8Array {
  if (text.length % 2 !== 0 || /[^0-9a-f]/i.test(text)) throw new MalformedMessage("not hex");
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Standard base64 with padding (RFC 4648 §4), as the API uses everywhere. */
export function b64(data: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < data.length; i += 0x8000) {
    binary += String.fromCharCode(...data.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

export function unb64(text: unknown, size?: number): Uint8Array {
  // Strict like Python's b64decode(validate=True): the alphabet, padding, a multiple of 4.
  if (typeof text !== "string" || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new MalformedMessage("not base64");
  }
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new MalformedMessage("not base64");
  }
  const out = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  if (size !== undefined && out.length !== size)
    throw new MalformedMessage(`expected ${size} bytes`);
  return out;
}

const encoder = new TextEncoder();
// fatal: invalid UTF-8 is an error, not U+FFFD; ignoreBOM: the bytes are kept exactly.
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** UTF-8 bytes as text; MalformedMessage if they are not valid UTF-8. */
export function fromUtf8(data: Uint8Array): string {
  try {
    return decoder.decode(data);
  } catch {
    throw new MalformedMessage("not UTF-8");
  }
}

// --- keys -----------------------------------------------------------------------------------

/** An X25519 key pair; the private key is 32 random bytes used as they are (X25519 clamps). */
export class DhKeyPair {
  private constructor(
    readonly privateKey: Uint8Array,
    readonly publicKey: Uint8Array,
  ) {}

  static fromPrivate(privateKey: Uint8Array): DhKeyPair {
    if (privateKey.length !== KEY_BYTES) throw new Error("an X25519 private key is 32 bytes");
    return new DhKeyPair(privateKey, sodium.crypto_scalarmult_base(privateKey));
  }

  static generate(random: Random): DhKeyPair {
    return DhKeyPair.fromPrivate(random(KEY_BYTES));
  }
}

/** A device's long-term Ed25519 key, stored as its 32-byte seed. */
export class IdentityKeyPair {
  private readonly pair: { publicKey: Uint8Array; privateKey: Uint8Array };

  constructor(readonly seed: Uint8Array) {
    this.pair = sodium.crypto_sign_seed_keypair(seed);
  }

  static generate(random: Random): IdentityKeyPair {
    return new IdentityKeyPair(random(KEY_BYTES));
  }

  get publicKey(): Uint8Array {
    return this.pair.publicKey;
  }

  sign(message: Uint8Array): Uint8Array {
    return sodium.crypto_sign_detached(message, this.pair.privateKey);
  }

  /** The key as X25519 for X3DH, converted the way libsodium does. */
  dhPair(): { privateKey: Uint8Array; publicKey: Uint8Array } {
    return {
      privateKey: sodium.crypto_sign_ed25519_sk_to_curve25519(this.pair.privateKey),
      publicKey: sodium.crypto_sign_ed25519_pk_to_curve25519(this.pair.publicKey),
    };
  }
}

/** An Ed25519 identity key as X25519; UntrustedKeys if it is not a valid point. */
export function identityPublicToX25519(identityPublic: Uint8Array): Uint8Array {
  try {
    return sodium.crypto_sign_ed25519_pk_to_curve25519(identityPublic);
  } catch {
    throw new UntrustedKeys("not an Ed25519 identity key");
  }
}

/** Ed25519 (RFC 8032); UntrustedKeys if it fails. */
export function verifySignature(
  identityPublic: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): void {
  let ok = false;
  try {
    ok = sodium.crypto_sign_verify_detached(signature, message, identityPublic);
  } catch {
    ok = false;
  }
  if (!ok) throw new UntrustedKeys("the signature does not verify under the identity key");
}

/** X25519; a small-order peer key (all-zero result) is refused, as libsodium refuses it. */
export function dh(pair: { privateKey: Uint8Array }, publicKey: Uint8Array): Uint8Array {
  try {
    return sodium.crypto_scalarmult(pair.privateKey, publicKey);
  } catch {
    throw new UntrustedKeys("not a usable X25519 public key");
  }
}

// --- WebCrypto: HKDF, HMAC; libsodium: SHA-512 -----------------------------------------------------------

// WebCrypto's types want ArrayBuffer-backed views; a copy is cheap at these sizes.
const buf = (data: Uint8Array): Uint8Array<ArrayBuffer> => new Uint8Array(data);

export async function hkdfSha256(
  ikm: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  const key = await subtle().importKey("raw", buf(ikm), "HKDF", false, ["deriveBits"]);
  const bits = await subtle().deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: buf(salt), info: buf(info) },
    key,
    length * 8,
  );
  return new Uint8Array(bits);
}

export async function hmacSha256(key: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
  const imported = await subtle().importKey(
    "raw",
    buf(key),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return new Uint8Array(await subtle().sign("HMAC", imported, buf(message)));
}

/**
 * SHA-512 through libsodium (`crypto_hash_sha512`) rather than WebCrypto's digest: the same
 * function, but synchronous; a safety number takes 10,400 of them, and one awaited WebCrypto
 * call each made it take about 0.3 s instead of 20 ms.
 */
export function sha512(data: Uint8Array): Uint8Array {
  return sodium.crypto_hash_sha512(data);
}

// --- AEAD and padding -----------------------------------------------------------------------

/** XChaCha20-Poly1305-IETF: ciphertext || 16-byte tag. */
export function aeadEncrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  associatedData: Uint8Array,
): Uint8Array {
  return sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
    plaintext,
    associatedData,
    null,
    nonce,
    key,
  );
}

export function aeadDecrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
  associatedData: Uint8Array,
): Uint8Array {
  try {
    return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
      null,
      ciphertext,
      associatedData,
      nonce,
      key,
    );
  } catch {
    throw new DecryptionFailed("the message does not authenticate");
  }
}

/** ISO/IEC 7816-4 padding to a multiple of `block` (libsodium's `pad`). */
export function pad(data: Uint8Array, block: number): Uint8Array {
  return sodium.pad(data, block);
}

export function unpad(data: Uint8Array, block: number): Uint8Array {
  try {
    return sodium.unpad(data, block);
  } catch {
    throw new MalformedMessage("bad padding");
  }
}
