// End-to-end encrypted chat for the web client: the facade the chat screens use (the Python
// SDK's SecureChat). It keeps this browser's device keys and sessions in IndexedDB (sealed
// under a non-extractable key), publishes its public keys, encrypts each message for every
// device of the peer and of this person's other devices, and decrypts what arrives.
//
//   const chat = await SecureChat.open(userId);          // keys made once, published, topped up
//   const sent = await chat.send(roomId, peerId, "hi");  // one envelope for every device
//   const read = await chat.decrypt(serverMessage);      // PlainMessage or Undecryptable
//
// The server sees the envelope (base64), the franking tag and which device sent it; never a
// key it could decrypt with.

import type { Recipient } from "./device";
import type { ChangeKind, KeyChange } from "./directory";
import {
  DecryptionFailed,
  DuplicateMessage,
  E2eeError,
  FrankingMismatch,
  MalformedMessage,
  MessageTooLarge,
  NoDevices,
  NotForThisDevice,
  TooManySkippedMessages,
  UnknownPreKey,
  UntrustedKeys,
} from "./errors";
import { type SafetyNumber, safetyNumber } from "./fingerprint";
import { LocalDevice, ONE_TIME_PREKEY_TARGET } from "./local";
import {
  type Http,
  openingOf,
  type PlainMessage,
  plainMessage,
  type ReportedOpening,
  type ServerMessage,
  type Undecryptable,
} from "./messages";
import { b64, fromUtf8, hex, type Random, ready, systemRandom, unb64, utf8 } from "./primitives";
import { IndexedDbKeyStore, type KeyStore, type MessageStore } from "./store";
import { CONTENT_BYTES, CONTENT_TEXT, decodeEnvelope, partFor } from "./wire";

export type { KeyChange } from "./directory";
export { E2eeError } from "./errors";
export type { Http, PlainMessage, ReportedOpening, ServerMessage, Undecryptable } from "./messages";

export const MAX_ENVELOPE_BYTES = 64 * 1024; // what the server accepts, decoded
const RECENT_MESSAGES = 1000; // kept in memory, so a frame and a catch-up agree at once

/** For tests and tools; the app needs none of these. */
export interface OpenOptions {
  store?: KeyStore & Partial<MessageStore>;
  random?: Random;
  clock?: () => number; // seconds since the epoch
  oneTimePreKeys?: number;
}

/** The `http` the app uses: the signed-in API client (loaded lazily: tests pass their own). */
async function apiHttp(): Promise<Http> {
  const { authed } = await import("../api/client");
  return {
    get: <T>(path: string) => authed<T>(path),
    put: <T>(path: string, body: unknown) => authed<T>(path, { method: "PUT", body }),
    post: <T>(path: string, body: unknown) => authed<T>(path, { method: "POST", body }),
  };
}

/** A sentence for a person, for each way a message can fail to open. */
export function reasonOf(error: unknown): string {
  if (error instanceof DuplicateMessage) {
    return "This message was already read on this device; its key is gone, so it cannot be opened again.";
  }
  if (error instanceof UnknownPreKey) {
    return "This message starts a secure session with keys this device no longer has.";
  }
  if (error instanceof TooManySkippedMessages) {
    return "Too many messages were lost before this one to open it.";
  }
  if (error instanceof DecryptionFailed) {
    return "This message could not be decrypted: it was damaged, altered or not meant for this chat.";
  }
  if (error instanceof NotForThisDevice) {
    return "This message was sent before this device was set up for secure chat, or from this device before it was reloaded.";
  }
  if (error instanceof UntrustedKeys) {
    return "This message comes from a device whose keys do not match what the server lists.";
  }
  if (error instanceof FrankingMismatch) {
    return "This message was refused: it carries no valid proof for reporting.";
  }
  if (error instanceof MalformedMessage)
    return "This message is not in a format this app can read.";
  if (error instanceof E2eeError) return error.message;
  return "This message could not be decrypted.";
}

/** What a ServerMessage must hold to be opened; the rest is passed along as it is. */
function checkShape(m: ServerMessage): void {
  const strings = [m.id, m.roomId, m.senderId, m.ciphertext, m.sentAt];
  if (strings.some((s) => typeof s !== "string") || typeof m.seq !== "number") {
    throw new MalformedMessage("not a chat message");
  }
}

interface StoredMessage {
  message: ServerMessage;
  senderDeviceId: string;
  contentType: number;
  body: string;
  frankingKey: string;
}

export class SecureChat {
  private readonly recent = new Map<string, PlainMessage>();
  private readonly listeners = new Set<(change: KeyChange) => void>();

  private constructor(
    private readonly http: Http,
    private readonly local: LocalDevice,
    private readonly messages: Partial<MessageStore>,
    private readonly random: Random,
    private readonly oneTimeTarget: number,
  ) {}

  /**
   * This browser's device for `userId` (made on first use, with a random device id; private
   * halves saved before anything is uploaded), published, topped up and rotated as needed.
   */
  static async open(userId: string, http?: Http, options: OpenOptions = {}): Promise<SecureChat> {
    await ready();
    const api = http ?? (await apiHttp());
    const store = options.store ?? new IndexedDbKeyStore(userId);
    const random = options.random ?? systemRandom;
    const clock = options.clock ?? (() => Date.now() / 1000);
    const local = await LocalDevice.load(api, userId, store, random, clock);
    const chat = new SecureChat(
      api,
      local,
      store,
      random,
      options.oneTimePreKeys ?? ONE_TIME_PREKEY_TARGET,
    );
    await chat.maintain();
    return chat;
  }

  get userId(): string {
    return this.local.device.userId;
  }

  get deviceId(): string {
    return this.local.device.deviceId;
  }

  /** This device's Ed25519 identity key (base64), as the directory lists it. */
  get identityKey(): string {
    return b64(this.local.device.keys.identity.publicKey);
  }

  /** Devices added, changed or removed since the page opened, as frames and fetches told. */
  get keyChanges(): readonly KeyChange[] {
    return this.local.directory.changes;
  }

  /** Called on every key change a frame reports (the safety number may have changed). */
  onKeyChange(listener: (change: KeyChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once every change already asked for (a `keyChanged`, a top-up) is done. */
  settled(): Promise<void> {
    return this.local.lock.run(async () => undefined);
  }

  /** Publish, rotate and top up keys; how many one-time prekeys the directory holds now. */
  maintain(): Promise<number> {
    return this.local.lock.run(() => this.local.maintain(this.oneTimeTarget));
  }

  // --- sending ------------------------------------------------------------------------------

  async send(
    roomId: string,
    peerUserId: string,
    content: string | Uint8Array,
    extra: Record<string, unknown> = {},
  ): Promise<ServerMessage> {
    const isText = typeof content === "string";
    const contentType = isText ? CONTENT_TEXT : CONTENT_BYTES;
    const body = isText ? utf8(content) : content;
    const sent = await this.local.lock.run(async () => {
      const recipients = await this.recipients(peerUserId);
      const sealed = await this.local.device.seal(roomId, contentType, body, recipients);
      if (sealed.envelope.length > MAX_ENVELOPE_BYTES) {
        throw new MessageTooLarge(
          `This message is too long to send securely to ${recipients.length} devices. Please shorten it.`,
        );
      }
      sealed.commit();
      await this.local.save(); // before it leaves: a message key is never used twice
      const answer = await this.http.post<ServerMessage>(
        `/v1/chats/rooms/${encodeURIComponent(roomId)}/messages`,
        {
          clientMessageId: hex(this.random(16)),
          ...extra,
          ciphertext: b64(sealed.envelope),
          frankingTag: b64(sealed.frankingTag),
          senderDeviceId: this.deviceId,
        },
      );
      return { answer, frankingKey: sealed.payload.frankingKey };
    });
    const text = isText ? content : null;
    await this.remember(
      plainMessage(
        sent.answer,
        this.userId,
        this.deviceId,
        contentType,
        body,
        sent.frankingKey,
        text,
      ),
    );
    return sent.answer;
  }

  private async recipients(peerId: string): Promise<Recipient[]> {
    const directory = this.local.directory;
    const theirs = await directory.devices(peerId);
    if (theirs.size === 0) {
      throw new NoDevices("This person has not set up secure chat on any device yet.");
    }
    const mine = await directory.devices(this.userId);
    const recipients: Recipient[] = [];
    for (const [userId, devices] of [
      [peerId, theirs],
      [this.userId, mine],
    ] as const) {
      for (const [deviceId, bundle] of devices) {
        if (userId === this.userId && deviceId === this.deviceId) continue;
        const session = this.local.device.sessions.current([userId, deviceId]);
        // No session yet, or one with an identity the device no longer has (a reinstall):
        // start one from the bundle. The old one stays for late messages.
        const fresh = session === null || b64(session.peerIdentity) !== b64(bundle.identityKey);
        recipients.push({
          userId,
          deviceId,
          bundle: fresh ? directory.takeBundle(userId, deviceId) : null,
        });
      }
    }
    return recipients;
  }

  // --- receiving ----------------------------------------------------------------------------

  /** A message decrypted and checked, or why it cannot be; never throws. */
  async decrypt(message: ServerMessage): Promise<PlainMessage | Undecryptable> {
    try {
      checkShape(message);
      const known = await this.known(message.id);
      if (known !== null) return known;
      return await this.open(message);
    } catch (error) {
      return {
        id: String(message?.id ?? ""),
        roomId: String(message?.roomId ?? ""),
        seq: typeof message?.seq === "number" ? message.seq : 0,
        senderId: String(message?.senderId ?? ""),
        sentAt: String(message?.sentAt ?? ""),
        reason: reasonOf(error),
        message,
      };
    }
  }

  private async open(message: ServerMessage): Promise<PlainMessage> {
    const envelope = decodeEnvelope(unb64(message.ciphertext));
    if (message.senderId === this.userId && envelope.senderDeviceId === this.deviceId) {
      throw new NotForThisDevice("sent from this device, which keeps no copy of its own");
    }
    if (!message.frankingTag) throw new FrankingMismatch("no franking tag");
    const frankingTag = unb64(message.frankingTag, 32);
    const part = partFor(envelope, this.userId, this.deviceId);
    const { plain, startedSession } = await this.local.lock.run(async () => {
      const again = this.recent.get(message.id);
      if (again !== undefined) return { plain: again, startedSession: false };
      let identity: Uint8Array | null = null;
      if (part?.preamble) {
        identity = await this.local.directory.identityOf(
          message.senderId,
          envelope.senderDeviceId,
          part.preamble.identityKey,
        );
      }
      const opened = await this.local.device.open(
        message.senderId,
        message.roomId,
        envelope,
        frankingTag,
        identity,
      );
      const { payload } = opened;
      const text = payload.contentType === CONTENT_TEXT ? fromUtf8(payload.body) : null;
      opened.commit();
      await this.local.save();
      const plain = plainMessage(
        message,
        this.userId,
        opened.senderDeviceId,
        payload.contentType,
        payload.body,
        payload.frankingKey,
        text,
      );
      await this.remember(plain);
      return { plain, startedSession: opened.startedSession };
    });
    if (startedSession) {
      // A one-time prekey may have been used: top up if low. Best effort, in the background:
      // the message is read and its key gone; the next start-up catches up on a failure.
      this.maintain().catch(() => undefined);
    }
    return plain;
  }

  /** A message read or sent before: from memory, or from the sealed store after a reload. */
  private async known(id: string): Promise<PlainMessage | null> {
    const inMemory = this.recent.get(id);
    if (inMemory !== undefined) return inMemory;
    const stored = (await this.messages.getMessage?.(id)) as StoredMessage | null | undefined;
    if (!stored) return null;
    const expires = stored.message.expiresAt ? Date.parse(stored.message.expiresAt) : Number.NaN;
    if (expires <= Date.now()) {
      await this.messages.deleteMessage?.(id);
      return null;
    }
    const body = unb64(stored.body);
    const text = stored.contentType === CONTENT_TEXT ? fromUtf8(body) : null;
    const plain = plainMessage(
      stored.message,
      this.userId,
      stored.senderDeviceId,
      stored.contentType,
      body,
      unb64(stored.frankingKey),
      text,
    );
    this.keep(plain);
    return plain;
  }

  private keep(plain: PlainMessage): void {
    this.recent.set(plain.id, plain);
    for (const id of this.recent.keys()) {
      if (this.recent.size <= RECENT_MESSAGES) break;
      this.recent.delete(id);
    }
  }

  private async remember(plain: PlainMessage): Promise<void> {
    this.keep(plain);
    const record: StoredMessage = {
      message: plain.message,
      senderDeviceId: plain.senderDeviceId ?? "",
      contentType: plain.kind === "text" ? CONTENT_TEXT : CONTENT_BYTES,
      body: b64(plain.body ?? new Uint8Array()),
      frankingKey: b64(plain.frankingKey ?? new Uint8Array()),
    };
    await this.messages.putMessage?.(plain.id, record);
  }

  // --- keys of others -----------------------------------------------------------------------

  /**
   * A `key_changed` frame `{userId, deviceId, change}`: the person's keys are fetched again
   * before the next message to them; a removed device's sessions end.
   */
  keyChanged(data: Record<string, unknown>): void {
    const { userId, deviceId, change } = data;
    if (typeof userId !== "string" || typeof deviceId !== "string") return;
    if (change !== "added" && change !== "changed" && change !== "removed") return;
    const noted: KeyChange = { userId, deviceId, change: change as ChangeKind };
    void this.local.lock
      .run(async () => {
        this.local.directory.noted(noted);
        if (noted.change === "removed") this.local.device.sessions.forget([userId, deviceId]);
        await this.local.save();
      })
      .then(() => {
        for (const listener of this.listeners) listener(noted);
      })
      .catch(() => undefined);
  }

  /**
   * The number both people see, over all their devices' identity keys as the directory lists
   * them: 60 digits in 12 groups of 5 (separated by spaces), and the string a QR code carries.
   */
  async safetyNumber(
    peerUserId: string,
  ): Promise<{ digits: string; qrPayload: string; groups: string[] }> {
    const number: SafetyNumber = await this.local.lock.run(async () => {
      const mine = await this.local.directory.devices(this.userId);
      const theirs = await this.local.directory.devices(peerUserId);
      if (theirs.size === 0) {
        throw new NoDevices("This person has not set up secure chat on any device yet.");
      }
      const keys = (devices: typeof mine) => [...devices.values()].map((b) => b.identityKey);
      return safetyNumber(this.userId, keys(mine), peerUserId, keys(theirs));
    });
    return { digits: number.groups.join(" "), qrPayload: number.qrPayload, groups: number.groups };
  }

  // --- reporting ----------------------------------------------------------------------------

  /** The openings `POST /v1/safety/reports` takes in `messages`, one per message. */
  reportOpenings(messages: PlainMessage[]): ReportedOpening[] {
    return messages.map((m) => openingOf(this.recent.get(m.id) ?? m));
  }

  /** Report `userId` with messages they sent as proof moderators can verify. */
  async report(
    userId: string,
    reason: string,
    messages: PlainMessage[],
    details?: string,
  ): Promise<unknown> {
    if (messages.some((m) => m.senderId !== userId)) {
      throw new E2eeError("Only messages the reported person sent can be attached.");
    }
    const body: Record<string, unknown> = {
      userId,
      reason,
      messages: this.reportOpenings(messages),
    };
    if (details !== undefined) body.details = details;
    return this.http.post("/v1/safety/reports", body);
  }
}
