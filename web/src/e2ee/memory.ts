// Messages this device has read or sent, by id: a message seen twice (its frame, then the
// catch-up, or in another tab) is answered from here, since its key is gone once used. The
// newest thousand are in memory; all are kept in the sealed store (store.ts) until they expire,
// so the history reads again after a reload.

import { type PlainMessage, plainMessage, type ServerMessage } from "./messages";
import { b64, fromUtf8, unb64 } from "./primitives";
import type { MessageStore } from "./store";
import { CONTENT_BYTES, CONTENT_TEXT } from "./wire";

const RECENT_MESSAGES = 1000;

interface StoredMessage {
  message: ServerMessage;
  senderDeviceId: string;
  contentType: number;
  body: string;
  frankingKey: string;
}

export class MessageMemory {
  private readonly recent = new Map<string, PlainMessage>();

  constructor(
    private readonly ownUserId: string,
    private readonly store: Partial<MessageStore>,
  ) {}

  /** Plaintexts of expired messages go from this browser too, unread. */
  async sweep(): Promise<void> {
    const now = Date.now();
    for (const [id, plain] of this.recent) {
      const at = plain.message.expiresAt ? Date.parse(plain.message.expiresAt) : Number.NaN;
      if (at <= now) this.recent.delete(id);
    }
    await this.store.sweepExpired?.(now);
  }

  inMemory(id: string): PlainMessage | undefined {
    return this.recent.get(id);
  }

  /** A message read or sent before: from memory, or from the sealed store after a reload. */
  async known(id: string): Promise<PlainMessage | null> {
    const inMemory = this.recent.get(id);
    if (inMemory !== undefined) return inMemory;
    const stored = (await this.store.getMessage?.(id)) as StoredMessage | null | undefined;
    if (!stored) return null;
    const expires = stored.message.expiresAt ? Date.parse(stored.message.expiresAt) : Number.NaN;
    if (expires <= Date.now()) {
      await this.store.deleteMessage?.(id);
      return null;
    }
    const body = unb64(stored.body);
    const plain = plainMessage(
      stored.message,
      this.ownUserId,
      stored.senderDeviceId,
      stored.contentType,
      body,
      unb64(stored.frankingKey),
      stored.contentType === CONTENT_TEXT ? fromUtf8(body) : null,
    );
    this.keep(plain);
    return plain;
  }

  async remember(plain: PlainMessage): Promise<void> {
    this.keep(plain);
    const record: StoredMessage = {
      message: plain.message,
      senderDeviceId: plain.senderDeviceId ?? "",
      contentType: plain.kind === "text" ? CONTENT_TEXT : CONTENT_BYTES,
      body: b64(plain.body ?? new Uint8Array()),
      frankingKey: b64(plain.frankingKey ?? new Uint8Array()),
    };
    await this.store.putMessage?.(plain.id, record, plain.message.expiresAt);
  }

  private keep(plain: PlainMessage): void {
    this.recent.set(plain.id, plain);
    for (const id of this.recent.keys()) {
      if (this.recent.size <= RECENT_MESSAGES) break;
      this.recent.delete(id);
    }
  }
}
