// What the facade hands the chat screens (the Python SDK's messages.py): a decrypted message
// with what a report needs, a marker for one that cannot be read and why, and the franking
// openings a report carries (`POST /v1/safety/reports`, docs/e2ee.md §9).

import { E2eeError, MalformedMessage } from "./errors";
import { b64 } from "./primitives";
import { CONTENT_TEXT } from "./wire";

/** A message as the API gives it (history item, `message` frame's data, or a send's answer). */
export interface ServerMessage {
  id: string;
  roomId: string;
  seq: number;
  senderId: string;
  senderDeviceId?: string;
  ciphertext: string;
  frankingTag: string;
  serverTag: string;
  sentAt: string;
  expiresAt?: string | null;
  [k: string]: unknown;
}

export interface PlainMessage {
  id: string;
  roomId: string;
  seq: number;
  senderId: string;
  sentAt: string;
  mine: boolean;
  kind: "text" | "bytes";
  text: string | null;
  bytes: Uint8Array | null;
  message: ServerMessage;
  /** The sending device as the envelope names it (authenticated by the session). */
  senderDeviceId?: string;
  /** The franking opening: the key and the exact body committed to. */
  frankingKey?: Uint8Array;
  body?: Uint8Array;
}

export interface Undecryptable {
  id: string;
  roomId: string;
  seq: number;
  senderId: string;
  sentAt: string;
  reason: string;
  message: ServerMessage;
}

export interface Http {
  get<T>(path: string): Promise<T>;
  put<T>(path: string, body: unknown): Promise<T>;
  post<T>(path: string, body: unknown): Promise<T>;
}

/** One message of a report, as `ReportedMessage` in the safety service's schemas. */
export interface ReportedOpening {
  id: string;
  senderId: string;
  sentAt: string;
  text: string;
  roomId: string;
  frankingTag: string;
  serverTag: string;
  frankingKey: string;
  plaintext: string;
}

export const REPORT_TEXT_LIMIT = 4000; // the report's `text`; the opening carries all of it

/** This message as a report carries it: the opening that lets moderators check it. */
export function openingOf(message: PlainMessage): ReportedOpening {
  const { frankingKey, body } = message;
  if (frankingKey === undefined || body === undefined) {
    throw new E2eeError("This message was not decrypted on this device, so it cannot be proven.");
  }
  const serverTag = message.message.serverTag;
  if (!serverTag) throw new E2eeError("The server did not tag this message: it cannot be proven.");
  const isText = message.kind === "text" && message.text !== null;
  // Python counts code points; Array.from splits by code point too, never inside a pair.
  const shown = isText
    ? Array.from(message.text ?? "")
        .slice(0, REPORT_TEXT_LIMIT)
        .join("") || "(an empty message)"
    : `(${body.length} bytes of attached content)`;
  return {
    id: message.id,
    senderId: message.senderId,
    sentAt: message.sentAt,
    text: shown,
    roomId: message.roomId,
    frankingTag: message.message.frankingTag,
    serverTag,
    frankingKey: b64(frankingKey),
    plaintext: b64(body),
  };
}

export function plainMessage(
  message: ServerMessage,
  ownUserId: string,
  senderDeviceId: string,
  contentType: number,
  body: Uint8Array,
  frankingKey: Uint8Array,
  text: string | null,
): PlainMessage {
  const isText = contentType === CONTENT_TEXT;
  return {
    id: message.id,
    roomId: message.roomId,
    seq: message.seq,
    senderId: message.senderId,
    sentAt: message.sentAt,
    mine: message.senderId === ownUserId,
    kind: isText ? "text" : "bytes",
    text: isText ? text : null,
    bytes: isText ? null : body,
    message,
    senderDeviceId,
    frankingKey,
    body,
  };
}

/** What a ServerMessage must hold to be opened; the rest is passed along as it is. */
export function checkShape(m: ServerMessage): void {
  const strings = [m.id, m.roomId, m.senderId, m.ciphertext, m.sentAt];
  if (strings.some((s) => typeof s !== "string") || typeof m.seq !== "number") {
    throw new MalformedMessage("not a chat message");
  }
}
