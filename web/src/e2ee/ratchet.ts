// The Double Ratchet (docs/e2ee.md §4; the Python SDK's ratchet.py). `decrypt` never changes
// the state it is given: it returns the next state, which the caller keeps only once the
// message passed every check (the specification's "discard changes on failure").

import {
  DecryptionFailed,
  DuplicateMessage,
  TooManySkippedMessages,
  UntrustedKeys,
} from "./errors";
import {
  aeadDecrypt,
  aeadEncrypt,
  b64,
  concat,
  DhKeyPair,
  dh,
  equalBytes,
  hkdfSha256,
  hmacSha256,
  KEY_BYTES,
  type Random,
  unb64,
  utf8,
} from "./primitives";
import { encodeHeader, type Header } from "./wire";

export const RATCHET_INFO = utf8("Disco Ratchet v1");
export const MAX_SKIP = 1000;
export const MAX_SKIPPED_KEYS = 2000;
const MESSAGE_KEY = Uint8Array.of(1);
const CHAIN_KEY = Uint8Array.of(2);

/** (next root key, chain key). */
export async function kdfRk(
  rootKey: Uint8Array,
  dhOut: Uint8Array,
): Promise<[Uint8Array, Uint8Array]> {
  const out = await hkdfSha256(dhOut, rootKey, RATCHET_INFO, 2 * KEY_BYTES);
  return [out.slice(0, KEY_BYTES), out.slice(KEY_BYTES)];
}

/** (next chain key, message key). */
export async function kdfCk(chainKey: Uint8Array): Promise<[Uint8Array, Uint8Array]> {
  return [await hmacSha256(chainKey, CHAIN_KEY), await hmacSha256(chainKey, MESSAGE_KEY)];
}

// Skipped keys by "base64(ratchet key):N"; a Map keeps insertion order, so the oldest go first.
const skipId = (ratchetKey: Uint8Array, n: number): string => `${b64(ratchetKey)}:${n}`;

export interface RatchetState {
  rootKey: Uint8Array;
  sendingKey: DhKeyPair; // DHs
  remoteKey: Uint8Array | null; // DHr
  sendingChain: Uint8Array | null; // CKs
  receivingChain: Uint8Array | null; // CKr
  sent: number; // Ns
  received: number; // Nr
  previousSent: number; // PN
  skipped: Map<string, Uint8Array>;
}

/** Alice, who starts with Bob's signed prekey as his ratchet key. */
export async function initiatorState(
  sharedSecret: Uint8Array,
  responderKey: Uint8Array,
  ratchetKey: DhKeyPair,
): Promise<RatchetState> {
  const [rootKey, chain] = await kdfRk(sharedSecret, dh(ratchetKey, responderKey));
  return {
    rootKey,
    sendingKey: ratchetKey,
    remoteKey: responderKey,
    sendingChain: chain,
    receivingChain: null,
    sent: 0,
    received: 0,
    previousSent: 0,
    skipped: new Map(),
  };
}

/** Bob, whose first ratchet key pair is the signed prekey Alice used. */
export function responderState(sharedSecret: Uint8Array, signedPreKey: DhKeyPair): RatchetState {
  return {
    rootKey: sharedSecret,
    sendingKey: signedPreKey,
    remoteKey: null,
    sendingChain: null,
    receivingChain: null,
    sent: 0,
    received: 0,
    previousSent: 0,
    skipped: new Map(),
  };
}

export function copyState(state: RatchetState): RatchetState {
  return { ...state, skipped: new Map(state.skipped) };
}

/** Advance the sending chain (in place) and encrypt one message with its key. */
export async function ratchetEncrypt(
  state: RatchetState,
  plaintext: Uint8Array,
  associatedData: Uint8Array,
  nonce: Uint8Array,
): Promise<{ header: Header; ciphertext: Uint8Array }> {
  if (state.sendingChain === null) {
    throw new DecryptionFailed("this session cannot send before it has received");
  }
  const [next, messageKey] = await kdfCk(state.sendingChain);
  state.sendingChain = next;
  const header = {
    ratchetKey: state.sendingKey.publicKey,
    previousChainLength: state.previousSent,
    number: state.sent,
  };
  state.sent += 1;
  const ad = concat(associatedData, encodeHeader(header));
  return { header, ciphertext: aeadEncrypt(messageKey, nonce, plaintext, ad) };
}

/** The state after this message and its plaintext; `state` itself is left as it was. */
export async function ratchetDecrypt(
  state: RatchetState,
  header: Header,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
  associatedData: Uint8Array,
  random: Random,
): Promise<{ state: RatchetState; plaintext: Uint8Array }> {
  const ad = concat(associatedData, encodeHeader(header));
  const id = skipId(header.ratchetKey, header.number);
  const skippedKey = state.skipped.get(id);
  if (skippedKey !== undefined) {
    const plaintext = aeadDecrypt(skippedKey, nonce, ciphertext, ad);
    const after = copyState(state);
    after.skipped.delete(id);
    return { state: after, plaintext };
  }
  const after = copyState(state);
  const stepping = after.remoteKey === null || !equalBytes(header.ratchetKey, after.remoteKey);
  try {
    if (stepping) {
      await skip(after, header.previousChainLength);
      after.previousSent = after.sent;
      after.sent = 0;
      after.received = 0;
      after.remoteKey = header.ratchetKey;
      [after.rootKey, after.receivingChain] = await kdfRk(
        after.rootKey,
        dh(after.sendingKey, header.ratchetKey),
      );
    } else if (header.number < after.received) {
      throw new DuplicateMessage("this message's key was used already");
    }
    await skip(after, header.number);
    if (after.receivingChain === null) {
      throw new DecryptionFailed("no receiving chain for this ratchet key");
    }
    const [next, messageKey] = await kdfCk(after.receivingChain);
    after.receivingChain = next;
    after.received += 1;
    const plaintext = aeadDecrypt(messageKey, nonce, ciphertext, ad);
    if (stepping) {
      // The second half of the DH step, once the message authenticated: a forged message
      // costs no randomness; the result is exactly the specification's.
      after.sendingKey = DhKeyPair.generate(random);
      [after.rootKey, after.sendingChain] = await kdfRk(
        after.rootKey,
        dh(after.sendingKey, header.ratchetKey),
      );
    }
    return { state: after, plaintext };
  } catch (error) {
    if (error instanceof UntrustedKeys) throw new DecryptionFailed("a bad ratchet key");
    throw error;
  }
}

/** Keep the keys of the receiving chain's messages before `until` for when they come. */
async function skip(state: RatchetState, until: number): Promise<void> {
  if (state.receivingChain === null || until <= state.received) return;
  if (until - state.received > MAX_SKIP) {
    throw new TooManySkippedMessages(`more than ${MAX_SKIP} messages skipped`);
  }
  const remote = state.remoteKey as Uint8Array;
  let chain = state.receivingChain;
  while (state.received < until) {
    const [next, messageKey] = await kdfCk(chain);
    chain = next;
    state.skipped.set(skipId(remote, state.received), messageKey);
    state.received += 1;
  }
  state.receivingChain = chain;
  for (const key of state.skipped.keys()) {
    if (state.skipped.size <= MAX_SKIPPED_KEYS) break;
    state.skipped.delete(key);
  }
}

// --- the stored form, as the Python SDK's RatchetState.to_json ---------------------------------

export interface RatchetJson {
  rootKey: string;
  sendingKey: string;
  remoteKey: string | null;
  sendingChain: string | null;
  receivingChain: string | null;
  sent: number;
  received: number;
  previousSent: number;
  skipped: [string, number, string][];
}

const opt = (v: Uint8Array | null): string | null => (v === null ? null : b64(v));
const unopt = (v: string | null): Uint8Array | null => (v === null ? null : unb64(v));

export function ratchetToJson(s: RatchetState): RatchetJson {
  return {
    rootKey: b64(s.rootKey),
    sendingKey: b64(s.sendingKey.privateKey),
    remoteKey: opt(s.remoteKey),
    sendingChain: opt(s.sendingChain),
    receivingChain: opt(s.receivingChain),
    sent: s.sent,
    received: s.received,
    previousSent: s.previousSent,
    skipped: [...s.skipped].map(([id, mk]) => {
      const at = id.lastIndexOf(":");
      return [id.slice(0, at), Number(id.slice(at + 1)), b64(mk)];
    }),
  };
}

export function ratchetFromJson(d: RatchetJson): RatchetState {
  return {
    rootKey: unb64(d.rootKey),
    sendingKey: DhKeyPair.fromPrivate(unb64(d.sendingKey)),
    remoteKey: unopt(d.remoteKey),
    sendingChain: unopt(d.sendingChain),
    receivingChain: unopt(d.receivingChain),
    sent: d.sent,
    received: d.received,
    previousSent: d.previousSent,
    skipped: new Map(d.skipped.map(([k, n, mk]) => [`${k}:${n}`, unb64(mk)])),
  };
}
