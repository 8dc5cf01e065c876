// This device's own keys (docs/e2ee.md §2; the Python SDK's prekeys.py): its identity key, its
// signed prekeys (the current one and three older ones, for session starts made from a bundle
// fetched before a rotation) and the private halves of its one-time prekeys.

import { b64, DhKeyPair, IdentityKeyPair, type Random, unb64 } from "./primitives";

export const OLD_SIGNED_PREKEYS_KEPT = 3;
export const MAX_HELD_ONE_TIME_PREKEYS = 500;

export interface SignedPreKey {
  keyId: number;
  pair: DhKeyPair;
  signature: Uint8Array;
  createdAt: number; // seconds since the epoch, as the Python SDK stores it
}

export interface DeviceKeysJson {
  identitySeed: string;
  signedPreKeys: { keyId: number; private: string; signature: string; createdAt: number }[];
  oneTimePreKeys: Record<string, string>;
  nextOneTimeId: number;
}

/** The `PUT /v1/keys` body: public halves only. */
export interface KeysUpload {
  deviceId: string;
  identityKey: string;
  signedPreKey: { keyId: number; publicKey: string; signature: string };
  oneTimePreKeys: { keyId: number; publicKey: string }[];
}

export class DeviceKeys {
  constructor(
    readonly identity: IdentityKeyPair,
    private signed: SignedPreKey[], // newest last
    private readonly oneTime: Map<number, DhKeyPair>,
    private nextOneTimeId: number,
  ) {}

  static create(random: Random, now: number): DeviceKeys {
    const keys = new DeviceKeys(IdentityKeyPair.generate(random), [], new Map(), 0);
    keys.rotateSignedPreKey(random, now);
    return keys;
  }

  get signedPreKey(): SignedPreKey {
    return this.signed[this.signed.length - 1] as SignedPreKey;
  }

  rotateSignedPreKey(random: Random, now: number): SignedPreKey {
    const pair = DhKeyPair.generate(random);
    const keyId = this.signed.length ? this.signedPreKey.keyId + 1 : 1;
    const made = { keyId, pair, signature: this.identity.sign(pair.publicKey), createdAt: now };
    this.signed = [...this.signed, made].slice(-(OLD_SIGNED_PREKEYS_KEPT + 1));
    return made;
  }

  signedPreKeyPair(keyId: number): DhKeyPair | null {
    return this.signed.find((s) => s.keyId === keyId)?.pair ?? null;
  }

  newOneTimePreKeys(count: number, random: Random): Map<number, DhKeyPair> {
    const made = new Map<number, DhKeyPair>();
    for (let i = 0; i < count; i++) {
      made.set(this.nextOneTimeId, DhKeyPair.generate(random));
      this.nextOneTimeId += 1;
    }
    for (const [id, pair] of made) this.oneTime.set(id, pair);
    const excess = this.oneTime.size - MAX_HELD_ONE_TIME_PREKEYS;
    if (excess > 0) {
      const lowest = [...this.oneTime.keys()].sort((a, b) => a - b).slice(0, excess);
      for (const id of lowest) this.oneTime.delete(id);
    }
    return made;
  }

  oneTimePreKeyPair(keyId: number): DhKeyPair | null {
    return this.oneTime.get(keyId) ?? null;
  }

  /** Used once: gone, so a replayed session start cannot use it again. */
  forgetOneTimePreKey(keyId: number): void {
    this.oneTime.delete(keyId);
  }

  get oneTimePreKeysHeld(): number {
    return this.oneTime.size;
  }

  upload(deviceId: string, oneTime: Map<number, DhKeyPair>): KeysUpload {
    const signed = this.signedPreKey;
    return {
      deviceId,
      identityKey: b64(this.identity.publicKey),
      signedPreKey: {
        keyId: signed.keyId,
        publicKey: b64(signed.pair.publicKey),
        signature: b64(signed.signature),
      },
      oneTimePreKeys: [...oneTime]
        .sort(([a], [b]) => a - b)
        .map(([keyId, pair]) => ({ keyId, publicKey: b64(pair.publicKey) })),
    };
  }

  toJson(): DeviceKeysJson {
    return {
      identitySeed: b64(this.identity.seed),
      signedPreKeys: this.signed.map((s) => ({
        keyId: s.keyId,
        private: b64(s.pair.privateKey),
        signature: b64(s.signature),
        createdAt: s.createdAt,
      })),
      oneTimePreKeys: Object.fromEntries(
        [...this.oneTime].map(([id, pair]) => [String(id), b64(pair.privateKey)]),
      ),
      nextOneTimeId: this.nextOneTimeId,
    };
  }

  static fromJson(d: DeviceKeysJson): DeviceKeys {
    return new DeviceKeys(
      new IdentityKeyPair(unb64(d.identitySeed)),
      d.signedPreKeys.map((s) => ({
        keyId: s.keyId,
        pair: DhKeyPair.fromPrivate(unb64(s.private)),
        signature: unb64(s.signature),
        createdAt: s.createdAt,
      })),
      new Map(
        Object.entries(d.oneTimePreKeys).map(([id, k]) => [
          Number(id),
          DhKeyPair.fromPrivate(unb64(k)),
        ]),
      ),
      d.nextOneTimeId,
    );
  }
}
