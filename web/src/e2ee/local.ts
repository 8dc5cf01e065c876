// This device's end-to-end state (the Python SDK's local.py): loaded from and saved to its
// KeyStore (keys, sessions, identities seen), and its public half kept current in the key
// directory: published, topped up, rotated.

import { Device } from "./device";
import { KeyDirectory, type KnownIdentities } from "./directory";
import { E2eeError } from "./errors";
import type { Http } from "./messages";
import { DeviceKeys, type DeviceKeysJson, type KeysUpload } from "./prekeys";
import { b64, type DhKeyPair, hex, type Random } from "./primitives";
import { SessionBook, type SessionBookJson } from "./sessions";
import type { KeyStore } from "./store";

export const ONE_TIME_PREKEY_TARGET = 100; // topped up to this when the directory says "low"
export const SIGNED_PREKEY_LIFETIME = 7 * 24 * 3600; // seconds: rotated after a week
export const STATE_VERSION = 1;

/** The stored document, the same shape as the Python SDK's. */
export interface StateDocument {
  version: number;
  userId: string;
  deviceId: string;
  keys: DeviceKeysJson;
  sessions: SessionBookJson;
  identities: KnownIdentities;
  /** Counts saves, so a tab sees that another tab of this browser saved since (web only). */
  revision?: number;
}

interface MyDevice {
  deviceId: string;
  identityKey: string;
  signedPreKeyId: number;
  oneTimePreKeysLeft: number;
  low: boolean;
}

/**
 * Runs `task` holding the browser-wide Web Lock `name` (every tab of this origin), so two tabs
 * never advance the same device's ratchets at once; where there are no Web Locks (tests), the
 * in-page Lock alone.
 */
function exclusive<T>(name: string, task: () => Promise<T>): Promise<T> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  // request() resolves to what the callback's promise resolves to.
  return locks ? (locks.request(name, task) as Promise<unknown> as Promise<T>) : task();
}

/** One change of keys and sessions at a time: the ratchets are not reentrant. */
export class Lock {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

export class LocalDevice {
  private readonly lock = new Lock();
  private revision = 0;

  private constructor(
    private readonly http: Http,
    private readonly store: KeyStore,
    readonly device: Device,
    readonly directory: KeyDirectory,
    private readonly random: Random,
    private readonly clock: () => number,
  ) {}

  /**
   * The stored state, or new keys under a new random device id (saved at once), holding the
   * browser-wide lock: two tabs opening at once make one device, not two.
   */
  static load(
    http: Http,
    userId: string,
    store: KeyStore,
    random: Random,
    clock: () => number,
  ): Promise<LocalDevice> {
    return exclusive(`disco-e2ee:${userId}`, async () => {
      const local = await LocalDevice.loadNow(http, userId, store, random, clock);
      if (local.revision === 0) await local.save(); // new keys: kept before anything else
      return local;
    });
  }

  private static async loadNow(
    http: Http,
    userId: string,
    store: KeyStore,
    random: Random,
    clock: () => number,
  ): Promise<LocalDevice> {
    const document = (await store.load()) as StateDocument | null;
    let deviceId: string;
    let keys: DeviceKeys;
    let sessions = new SessionBook();
    let known: KnownIdentities = {};
    if (document === null) {
      deviceId = `web-${hex(random(8))}`;
      keys = DeviceKeys.create(random, clock());
    } else {
      if (document.version !== STATE_VERSION) {
        throw new E2eeError(`unknown key store version ${document.version}`);
      }
      if (document.userId !== userId) {
        throw new E2eeError("this key store belongs to another person");
      }
      deviceId = document.deviceId;
      keys = DeviceKeys.fromJson(document.keys);
      sessions = SessionBook.fromJson(document.sessions);
      known = document.identities;
    }
    const device = new Device(userId, deviceId, keys, sessions, random);
    const directory = new KeyDirectory(http, known);
    const local = new LocalDevice(http, store, device, directory, random, clock);
    // A stored state is not saved again here: another tab may be ahead of what was read.
    local.revision = document === null ? 0 : Math.max(1, document.revision ?? 1);
    return local;
  }

  /**
   * Runs `task` alone, on the newest state: another tab of this browser (the same device) may
   * have saved since, and its state is taken up first rather than overwritten.
   */
  run<T>(task: () => Promise<T>): Promise<T> {
    return this.lock.run(() =>
      exclusive(`disco-e2ee:${this.device.userId}`, async () => {
        await this.refresh();
        return task();
      }),
    );
  }

  private async refresh(): Promise<void> {
    const document = (await this.store.load()) as StateDocument | null;
    if (document === null || (document.revision ?? 0) === this.revision) return;
    if (document.deviceId !== this.device.deviceId) {
      throw new E2eeError("this browser's key store now holds another device");
    }
    this.device.keys = DeviceKeys.fromJson(document.keys);
    this.device.sessions = SessionBook.fromJson(document.sessions);
    this.directory.known = document.identities;
    this.revision = document.revision ?? 0;
  }

  save(): Promise<void> {
    this.revision += 1;
    const document: StateDocument = {
      version: STATE_VERSION,
      userId: this.device.userId,
      deviceId: this.device.deviceId,
      keys: this.device.keys.toJson(),
      sessions: this.device.sessions.toJson(),
      identities: this.directory.known,
      revision: this.revision,
    };
    return this.store.save(document);
  }

  /**
   * Publish this device's keys if the directory lacks them, rotate the signed prekey once it
   * is a week old, and top one-time prekeys up when the directory says they are low. How many
   * the directory holds now. Call with the lock held.
   */
  async maintain(target: number): Promise<number> {
    const keys = this.device.keys;
    const mine = await this.http.get<{ devices: MyDevice[] }>("/v1/keys");
    let listed = mine.devices.find((d) => d.deviceId === this.device.deviceId) ?? null;
    if (listed !== null && listed.identityKey !== b64(keys.identity.publicKey)) {
      listed = null; // another identity under this id: the directory dropped its keys
    }
    const left = listed === null ? 0 : listed.oneTimePreKeysLeft;
    let outdated = listed === null || listed.signedPreKeyId !== keys.signedPreKey.keyId;
    if (this.clock() - keys.signedPreKey.createdAt > SIGNED_PREKEY_LIFETIME) {
      keys.rotateSignedPreKey(this.random, this.clock());
      outdated = true;
    }
    let fresh = new Map<number, DhKeyPair>();
    if (listed === null || listed.low) fresh = keys.newOneTimePreKeys(target - left, this.random);
    if (!outdated && fresh.size === 0) return left;
    return this.publish(fresh);
  }

  /** A new signed prekey now (the older ones stay for sessions started from them). */
  async rotateSignedPreKey(): Promise<void> {
    this.device.keys.rotateSignedPreKey(this.random, this.clock());
    await this.publish(new Map());
  }

  private async publish(fresh: Map<number, DhKeyPair>): Promise<number> {
    await this.save(); // the private halves first: never publish a key this device could lose
    const body: KeysUpload = this.device.keys.upload(this.device.deviceId, fresh);
    const answer = await this.http.put<{ devices: MyDevice[] }>("/v1/keys", body);
    const listed = answer.devices.find((d) => d.deviceId === this.device.deviceId);
    return listed?.oneTimePreKeysLeft ?? 0;
  }
}
