// Attachments, end-to-end encrypted: the file is encrypted here (AES-256-GCM, WebCrypto) with
// a fresh key, the ciphertext uploaded to the room's media, and the key travels inside an
// ordinary encrypted message (a "bytes" message holding a small reference). The server stores
// bytes it cannot read, as it does for text; the reference names the media id it relays.

import { ApiError, renew } from "../../api/client";
import { session } from "../../api/session";

/** What an attachment message carries (inside the end-to-end encrypted envelope). */
export interface AttachmentRef {
  mediaId: string;
  key: string; // base64 AES-256 key
  iv: string; // base64 12-byte GCM nonce
  name: string;
  type: string;
  size: number;
}

// The server takes up to 10 MiB of ciphertext; GCM adds a 16-byte tag.
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024 - 16;
const MARK = "disco-attachment:1\n";

// The peer names the type, so it is not trusted: a blob URL belongs to this origin, and an
// HTML or SVG file opened from one would be a page of the app's own (script and all). Only
// these pictures show inline and keep their type; anything else is opaque bytes to download.
const INLINE_IMAGES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp", "image/avif"]);

/** Whether an attachment of this (peer-given) type is shown inline as a photo. */
export function isInlineImage(type: string): boolean {
  return INLINE_IMAGES.has(type.trim().toLowerCase());
}

/** The type the decrypted blob is given: a safe picture type, else opaque bytes. */
export function blobType(type: string): string {
  return isInlineImage(type) ? type.trim().toLowerCase() : "application/octet-stream";
}

/** Bytes backed by a plain ArrayBuffer (what WebCrypto, fetch and Blob take). */
type Bytes = Uint8Array<ArrayBuffer>;

export function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

export function fromBase64(text: string): Bytes {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

export function encodeRef(ref: AttachmentRef): Uint8Array {
  return new TextEncoder().encode(MARK + JSON.stringify(ref));
}

// A media id goes into a download's path: only the server's own ids, nothing a peer could use
// to point the download elsewhere.
const MEDIA_ID = /^[A-Za-z0-9-]{1,64}$/;

function bytesOfLength(text: unknown, length: number): boolean {
  if (typeof text !== "string") return false;
  try {
    return fromBase64(text).length === length;
  } catch {
    return false;
  }
}

/** The reference in a "bytes" message, or null when the bytes are something else. Read as the
 * Python SDK reads it (docs/e2ee.md 6.1): strict UTF-8, each field of its type and length. */
export function parseRef(bytes: Uint8Array | null): AttachmentRef | null {
  if (!bytes) return null;
  try {
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
    if (!text.startsWith(MARK)) return null;
    const ref = JSON.parse(text.slice(MARK.length)) as Partial<AttachmentRef>;
    const ok =
      typeof ref.mediaId === "string" &&
      MEDIA_ID.test(ref.mediaId) &&
      bytesOfLength(ref.key, 32) &&
      bytesOfLength(ref.iv, 12) &&
      typeof ref.name === "string" &&
      typeof ref.type === "string" &&
      Number.isInteger(ref.size) &&
      (ref.size ?? -1) >= 0;
    return ok ? (ref as AttachmentRef) : null;
  } catch {
    return null;
  }
}

export async function encryptFile(
  plain: Bytes,
): Promise<{ ciphertext: Bytes; key: string; iv: string }> {
  const raw = crypto.getRandomValues(new Uint8Array(32));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt"]);
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, plain);
  return { ciphertext: new Uint8Array(sealed), key: toBase64(raw), iv: toBase64(iv) };
}

export async function decryptFile(ciphertext: Bytes, ref: AttachmentRef): Promise<Bytes> {
  const key = await crypto.subtle.importKey("raw", fromBase64(ref.key), "AES-GCM", false, [
    "decrypt",
  ]);
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromBase64(ref.iv) },
    key,
    ciphertext,
  );
  return new Uint8Array(plain);
}

/** A media request as the signed-in person (raw bytes, so not through the JSON `authed`). */
async function media(path: string, init: RequestInit): Promise<Response> {
  const attempt = () =>
    fetch(path, {
      ...init,
      headers: { ...(init.headers ?? {}), Authorization: `Bearer ${session.token ?? ""}` },
    });
  let response: Response;
  try {
    response = await attempt();
    if (response.status === 401) {
      await renew();
      response = await attempt();
    }
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError(0, "OFFLINE", "Disco cannot be reached. Check your connection.");
  }
  if (!response.ok) {
    const payload = (await response.json().catch(() => null)) as {
      error?: { code?: string; message?: string };
    } | null;
    throw new ApiError(
      response.status,
      payload?.error?.code ?? "HTTP_ERROR",
      payload?.error?.message ??
        `The attachment could not be transferred (HTTP ${response.status}).`,
    );
  }
  return response;
}

export async function uploadMedia(roomId: string, ciphertext: Bytes): Promise<string> {
  const response = await media(`/v1/chats/rooms/${encodeURIComponent(roomId)}/media`, {
    method: "POST",
    headers: { "Content-Type": "application/octet-stream" },
    body: ciphertext,
  });
  return ((await response.json()) as { id: string }).id;
}

const downloads = new Map<string, Promise<string>>();

/** The attachment decrypted, as an object URL for an image or a download link. */
export function attachmentUrl(roomId: string, ref: AttachmentRef): Promise<string> {
  let found = downloads.get(ref.mediaId);
  if (!found) {
    found = (async () => {
      const path = `/v1/chats/rooms/${encodeURIComponent(roomId)}/media/${encodeURIComponent(ref.mediaId)}`;
      const response = await media(path, { method: "GET" });
      const plain = await decryptFile(new Uint8Array(await response.arrayBuffer()), ref);
      return URL.createObjectURL(new Blob([plain], { type: blobType(ref.type) }));
    })();
    downloads.set(ref.mediaId, found);
    found.catch(() => downloads.delete(ref.mediaId));
  }
  return found;
}
