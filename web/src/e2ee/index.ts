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
  E2eeError,
  FrankingMismatch,
  MessageTooLarge,
  NoDevices,
  NotForThisDevice,
  reasonOf,
} from "./errors";
import { type SafetyNumber, safetyNumber } from "./fingerprint";
import { LocalDevice, ONE_TIME_PREKEY_TARGET } from "./local";
import { MessageMemory } from "./memory";
import {
  checkShape,
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
export { E2eeError, reasonOf } from "./errors";
export type { Http, PlainMessage, ReportedOpening, ServerMessage, Undecryptable } from "./messages";

export const MAX_ENVELOPE_BYTES = 64 * 1024; // what the server accepts, decoded

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

export class SecureChat {
  private readonly listeners = new Set<(change: KeyChange) => void>();

  private constructor(
    private readonly http: Http,
    private readonly local: LocalDevice,
    private readonly memory: MessageMemory,
    private readonly random: Random,
    private readonly oneTimeTarget: number,
  ) {}

  /**
   * This browser's device for `userId` (made on first use, with a random device id; private
   * halves saved before anything is uploaded), published, topped up and rotated as needed.
   */
  static open(userId: string, http?: Http, options: OpenOptions = {}): Promise<SecureChat> {
    if (http !== undefined || Object.keys(options).length > 0) {
      return SecureChat.openNew(userId, http, options);
    }
    // The app's own calls share one instance per person: screens that each open it neither
    // race on the ratchets nor fetch the directory twice. A failed open is tried afresh.
    let opening = SecureChat.opened.get(userId);
    if (opening === undefined) {
      opening = SecureChat.openNew(userId, undefined, options);
      SecureChat.opened.set(userId, opening);
      opening.catch(() => SecureChat.opened.delete(userId));
    }
    return opening;
  }

  private static readonly opened = new Map<string, Promise<SecureChat>>();

  private static async openNew(
    userId: string,
    http: Http | undefined,
    options: OpenOptions,
  ): Promise<SecureChat> {
    await ready();
    const api = http ?? (await apiHttp());
    const store = options.store ?? new IndexedDbKeyStore(userId);
    const random = options.random ?? systemRandom;
    const clock = options.clock ?? (() => Date.now() / 1000);
    const local = await LocalDevice.load(api, userId, store, random, clock);
    const chat = new SecureChat(
      api,
      local,
      new MessageMemory(userId, store),
      random,
      options.oneTimePreKeys ?? ONE_TIME_PREKEY_TARGET,
    );
    await chat.memory.sweep();
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

  /** Forgets the plaintexts of messages that expired (the app may call it now and then). */
  sweepExpired(): Promise<void> {
    return this.memory.sweep();
  }

  /** Resolves once every change already asked for (a `keyChanged`, a top-up) is done. */
  settled(): Promise<void> {
    return this.local.run(async () => undefined);
  }

  /** Publish, rotate and top up keys; how many one-time prekeys the directory holds now. */
  maintain(): Promise<number> {
    return this.local.run(() => this.local.maintain(this.oneTimeTarget));
  }

  private maintenanceWaiting = false;

  /**
   * A one-time prekey may have been used: top up if low, in the background (the message is
   * read and its key gone; the next start-up catches up on a failure). A peer's burst of
   * messages that each carry the session start asks once, not once per message: while one
   * top-up waits its turn, asking again adds nothing.
   */
  private maintainSoon(): void {
    if (this.maintenanceWaiting) return;
    this.maintenanceWaiting = true;
    this.local
      .run(() => {
        this.maintenanceWaiting = false;
        return this.local.maintain(this.oneTimeTarget);
      })
      .catch(() => undefined);
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
    return this.local.run(async () => {
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
      // Remembered before the lock is let go: the message's own frame, which may arrive before
      // this answer, waits for the lock and then finds it here.
      await this.memory.remember(
        plainMessage(
          answer,
          this.userId,
          this.deviceId,
          contentType,
          body,
          sealed.payload.frankingKey,
          isText ? content : null,
        ),
      );
      return answer;
    });
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
      const known = await this.memory.known(message.id);
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
    const part = partFor(envelope, this.userId, this.deviceId);
    const { plain, startedSession } = await this.local.run(async () => {
      // Decrypted while this call waited (its frame and a catch-up, or another tab), or sent
      // from here while its own frame waited.
      const again = await this.memory.known(message.id);
      if (again !== null) return { plain: again, startedSession: false };
      if (message.senderId === this.userId && envelope.senderDeviceId === this.deviceId) {
        throw new NotForThisDevice("sent from this device, which keeps no copy of its own");
      }
      if (!message.frankingTag) throw new FrankingMismatch("no franking tag");
      const frankingTag = unb64(message.frankingTag, 32);
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
      await this.memory.remember(plain);
      return { plain, startedSession: opened.startedSession };
    });
    if (startedSession) this.maintainSoon();
    return plain;
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
    void this.local
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
    const number: SafetyNumber = await this.local.run(async () => {
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
    return messages.map((m) => openingOf(this.memory.inMemory(m.id) ?? m));
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
