// People's device keys as the key directory lists them (`GET /v1/keys/{userId}`; docs/e2ee.md §2;
// the Python SDK's directory.py), cached for the life of the page and dropped on `key_changed`.
//
// Every bundle is checked as it arrives; an answer with one bad signature is refused whole
// (only a lying server could serve it). Identity keys are remembered per device, trust on first
// use: a device that comes back with another identity key is recorded as a key change.
// A fetch takes one of each device's one-time prekeys, so a fetched one is kept until used.

import { MalformedMessage } from "./errors";
import type { Http } from "./messages";
import { b64, equalBytes } from "./primitives";
import { bundleFromApi, type DeviceBundle, verifyBundle, withoutOneTimePreKey } from "./x3dh";

export type ChangeKind = "added" | "changed" | "removed";

export interface KeyChange {
  userId: string;
  deviceId: string;
  change: ChangeKind;
}

/** User id -> device id -> base64 identity key first seen; persisted with the device state. */
export type KnownIdentities = Record<string, Record<string, string>>;

export class KeyDirectory {
  private readonly cache = new Map<string, Map<string, DeviceBundle>>();
  readonly changes: KeyChange[] = [];

  constructor(
    private readonly http: Http,
    public known: KnownIdentities, // replaced when another tab saved a newer state
  ) {}

  /** The user's devices by id, each checked. */
  async devices(userId: string, refresh = false): Promise<Map<string, DeviceBundle>> {
    const cached = this.cache.get(userId);
    if (cached !== undefined && !refresh) return cached;
    const answer = await this.http.get<unknown>(`/v1/keys/${encodeURIComponent(userId)}`);
    const listed = (answer as { devices?: unknown } | null)?.devices;
    if (!Array.isArray(listed)) throw new MalformedMessage("not a key bundle answer");
    const bundles = new Map<string, DeviceBundle>();
    for (const device of listed) {
      const bundle = bundleFromApi(device);
      verifyBundle(bundle);
      bundles.set(bundle.deviceId, bundle);
    }
    this.remember(userId, bundles);
    this.cache.set(userId, bundles);
    return bundles;
  }

  private remember(userId: string, bundles: Map<string, DeviceBundle>): void {
    const seen = this.known[userId] ?? {};
    this.known[userId] = seen;
    for (const [deviceId, bundle] of bundles) {
      const identity = b64(bundle.identityKey);
      const before = seen[deviceId];
      if (before !== undefined && before !== identity) {
        this.changes.push({ userId, deviceId, change: "changed" });
      }
      seen[deviceId] = identity;
    }
  }

  /** A cached bundle to start a session with; its one-time prekey is handed out once. */
  takeBundle(userId: string, deviceId: string): DeviceBundle {
    const devices = this.cache.get(userId);
    const bundle = devices?.get(deviceId);
    if (devices === undefined || bundle === undefined) throw new Error("no such device cached");
    devices.set(deviceId, withoutOneTimePreKey(bundle));
    return bundle;
  }

  /**
   * The identity key the directory lists for a device; fetched again if the cache lacks this
   * device or shows another key (it may have changed since).
   */
  async identityOf(
    userId: string,
    deviceId: string,
    expected: Uint8Array,
  ): Promise<Uint8Array | null> {
    let bundle = (await this.devices(userId)).get(deviceId);
    if (bundle === undefined || !equalBytes(bundle.identityKey, expected)) {
      bundle = (await this.devices(userId, true)).get(deviceId);
    }
    return bundle?.identityKey ?? null;
  }

  forget(userId: string): void {
    this.cache.delete(userId);
  }

  /** A `key_changed` frame: fetch the user's keys again when next needed. */
  noted(change: KeyChange): void {
    this.forget(change.userId);
    if (change.change === "removed") delete this.known[change.userId]?.[change.deviceId];
    this.changes.push(change);
  }
}
