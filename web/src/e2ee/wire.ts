// The wire format, version 1 (docs/e2ee.md §4, §6, §7; the Python SDK's wire.py): the ratchet
// header, the session-start preamble, a part per recipient device, the envelope the server
// stores and the padded payload inside each part. Big-endian integers; `str8` strings.
//
// Parsing is strict: an unknown version or kind, a length past the end, trailing bytes or two
// parts for one device are MalformedMessage, never an exception of another kind.

import { MalformedMessage } from "./errors";
import { concat, fromUtf8, KEY_BYTES, NONCE_BYTES, pad, unpad, utf8 } from "./primitives";

export const ENVELOPE_VERSION = 1;
export const PAYLOAD_VERSION = 1;
export const KIND_MESSAGE = 1;
export const KIND_PREKEY_MESSAGE = 2; // carries the X3DH preamble
export const CONTENT_TEXT = 1;
export const CONTENT_BYTES = 2;
export const PADDING_BLOCK = 160;
export const MAX_PARTS = 255;
export const HEADER_BYTES = KEY_BYTES + 8;

class Reader {
  private at = 0;
  constructor(private readonly data: Uint8Array) {}

  take(size: number): Uint8Array {
    if (size < 0 || this.at + size > this.data.length) throw new MalformedMessage("truncated");
    const chunk = this.data.slice(this.at, this.at + size);
    this.at += size;
    return chunk;
  }

  u8(): number {
    return this.take(1)[0] as number;
  }

  u32(): number {
    const b = this.take(4);
    return new DataView(b.buffer).getUint32(0);
  }

  /** A u64; ids beyond 2^53 cannot be JavaScript numbers (the server caps key ids at 2^53). */
  u64(): number {
    const value = new DataView(this.take(8).buffer).getBigUint64(0);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new MalformedMessage("key id too large");
    return Number(value);
  }

  text(): string {
    return fromUtf8(this.take(this.u8()));
  }

  rest(): Uint8Array {
    return this.take(this.data.length - this.at);
  }

  end(): void {
    if (this.at !== this.data.length) throw new MalformedMessage("trailing bytes");
  }
}

function str8(value: string): Uint8Array {
  const raw = utf8(value);
  if (raw.length < 1 || raw.length > 255) throw new Error(`"${value}" must be 1 to 255 bytes`);
  return concat(Uint8Array.of(raw.length), raw);
}

function u32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

function u64(value: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(value));
  return out;
}

/** The Double Ratchet header: ratchet public key, previous chain length (PN), number (N). */
export interface Header {
  ratchetKey: Uint8Array;
  previousChainLength: number;
  number: number;
}

export function encodeHeader(h: Header): Uint8Array {
  return concat(h.ratchetKey, u32(h.previousChainLength), u32(h.number));
}

function readHeader(r: Reader): Header {
  return { ratchetKey: r.take(KEY_BYTES), previousChainLength: r.u32(), number: r.u32() };
}

export function decodeHeader(data: Uint8Array): Header {
  const r = new Reader(data);
  const header = readHeader(r);
  r.end();
  return header;
}

/** What the responder needs to run X3DH. */
export interface Preamble {
  identityKey: Uint8Array;
  baseKey: Uint8Array;
  signedPreKeyId: number;
  oneTimePreKeyId: number | null;
}

export function encodePreamble(p: Preamble): Uint8Array {
  const head = concat(p.identityKey, p.baseKey, u64(p.signedPreKeyId));
  return p.oneTimePreKeyId === null
    ? concat(head, Uint8Array.of(0))
    : concat(head, Uint8Array.of(1), u64(p.oneTimePreKeyId));
}

function readPreamble(r: Reader): Preamble {
  const identityKey = r.take(KEY_BYTES);
  const baseKey = r.take(KEY_BYTES);
  const signedPreKeyId = r.u64();
  const flag = r.u8();
  if (flag !== 0 && flag !== 1) throw new MalformedMessage("bad one-time prekey flag");
  return { identityKey, baseKey, signedPreKeyId, oneTimePreKeyId: flag ? r.u64() : null };
}

export function decodePreamble(data: Uint8Array): Preamble {
  const r = new Reader(data);
  const preamble = readPreamble(r);
  r.end();
  return preamble;
}

/** The message encrypted for one device. */
export interface Part {
  userId: string;
  deviceId: string;
  preamble: Preamble | null;
  header: Header;
  nonce: Uint8Array;
  ciphertext: Uint8Array; // tag included
}

export function encodePart(p: Part): Uint8Array {
  return concat(
    str8(p.userId),
    str8(p.deviceId),
    Uint8Array.of(p.preamble === null ? KIND_MESSAGE : KIND_PREKEY_MESSAGE),
    p.preamble === null ? new Uint8Array() : encodePreamble(p.preamble),
    encodeHeader(p.header),
    p.nonce,
    u32(p.ciphertext.length),
    p.ciphertext,
  );
}

function readPart(r: Reader): Part {
  const userId = r.text();
  const deviceId = r.text();
  const kind = r.u8();
  if (kind !== KIND_MESSAGE && kind !== KIND_PREKEY_MESSAGE) {
    throw new MalformedMessage(`unknown part kind ${kind}`);
  }
  const preamble = kind === KIND_PREKEY_MESSAGE ? readPreamble(r) : null;
  const header = readHeader(r);
  const nonce = r.take(NONCE_BYTES);
  return { userId, deviceId, preamble, header, nonce, ciphertext: r.take(r.u32()) };
}

/** What the server stores: the sending device and a part per recipient device. */
export interface Envelope {
  senderDeviceId: string;
  parts: Part[];
}

export function encodeEnvelope(e: Envelope): Uint8Array {
  if (e.parts.length > MAX_PARTS) throw new Error("too many recipient devices");
  return concat(
    Uint8Array.of(ENVELOPE_VERSION),
    str8(e.senderDeviceId),
    Uint8Array.of(e.parts.length),
    ...e.parts.map(encodePart),
  );
}

export function decodeEnvelope(data: Uint8Array): Envelope {
  const r = new Reader(data);
  const version = r.u8();
  if (version !== ENVELOPE_VERSION)
    throw new MalformedMessage(`unknown envelope version ${version}`);
  const senderDeviceId = r.text();
  const count = r.u8();
  const parts: Part[] = [];
  for (let i = 0; i < count; i++) parts.push(readPart(r));
  r.end();
  const seen = new Set(parts.map((p) => JSON.stringify([p.userId, p.deviceId])));
  if (seen.size !== parts.length) throw new MalformedMessage("two parts for one device");
  return { senderDeviceId, parts };
}

export function partFor(e: Envelope, userId: string, deviceId: string): Part | null {
  return e.parts.find((p) => p.userId === userId && p.deviceId === deviceId) ?? null;
}

/** The plaintext of every part of one message. */
export interface Payload {
  contentType: number;
  frankingKey: Uint8Array;
  roomId: string;
  body: Uint8Array;
}

export function encodePayload(p: Payload): Uint8Array {
  const raw = concat(
    Uint8Array.of(PAYLOAD_VERSION, p.contentType),
    p.frankingKey,
    str8(p.roomId),
    p.body,
  );
  return pad(raw, PADDING_BLOCK);
}

export function decodePayload(padded: Uint8Array): Payload {
  const r = new Reader(unpad(padded, PADDING_BLOCK));
  const version = r.u8();
  const contentType = r.u8();
  if (version !== PAYLOAD_VERSION) throw new MalformedMessage(`unknown payload version ${version}`);
  if (contentType !== CONTENT_TEXT && contentType !== CONTENT_BYTES) {
    throw new MalformedMessage(`unknown content type ${contentType}`);
  }
  const frankingKey = r.take(KEY_BYTES);
  const roomId = r.text();
  const body = r.rest();
  if (contentType === CONTENT_TEXT) fromUtf8(body); // a text body must be valid UTF-8
  return { contentType, frankingKey, roomId, body };
}
