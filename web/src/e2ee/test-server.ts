// An in-memory stand-in for the parts of the API end-to-end encryption talks to (the key
// directory, sending a chat message, the safety report), for the Vitest tests only. It keeps
// to the real services' rules: one one-time prekey handed out per device and fetch, none to
// the owner, `low` under 10, prekeys forgotten when a device's identity changes, the server
// tag as platform/franking.py computes it.

import type { Http, ServerMessage } from "./messages";
import { b64, hmacSha256, utf8 } from "./primitives";

interface StoredDevice {
  identityKey: string;
  signedPreKey: { keyId: number; publicKey: string; signature: string };
  prekeys: { keyId: number; publicKey: string }[];
}

export interface Frame {
  to: string;
  type: string;
  data: Record<string, unknown>;
}

export const SERVER_KEY = new Uint8Array(32).fill(9);

/** The server tag of platform/franking.py (its fields here are all ASCII, as JSON escapes). */
export async function serverTagOf(m: {
  frankingTag: string;
  senderId: string;
  roomId: string;
  id: string;
  sentAt: string;
}): Promise<string> {
  const context = JSON.stringify([
    "disco-franking-v1",
    m.frankingTag,
    m.senderId,
    m.roomId,
    m.id,
    m.sentAt,
  ]);
  return b64(await hmacSha256(SERVER_KEY, utf8(context)));
}

export class FakeServer {
  readonly devices = new Map<string, Map<string, StoredDevice>>();
  readonly rooms = new Map<string, ServerMessage[]>();
  readonly frames: Frame[] = [];
  readonly reports: unknown[] = [];
  readonly calls: string[] = [];
  private nextId = 1;

  http(userId: string): Http {
    const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
      this.calls.push(`${userId} ${method} ${path}`);
      return structuredClone(await this.handle(userId, method, path, body));
    };
    return {
      get: <T>(path: string) => call("GET", path) as Promise<T>,
      put: <T>(path: string, body: unknown) => call("PUT", path, body) as Promise<T>,
      post: <T>(path: string, body: unknown) => call("POST", path, body) as Promise<T>,
    };
  }

  history(roomId: string): ServerMessage[] {
    return structuredClone(this.rooms.get(roomId) ?? []);
  }

  /** Drops a device from the directory, as DELETE /v1/keys/{deviceId} does. */
  removeDevice(userId: string, deviceId: string): void {
    this.devices.get(userId)?.delete(deviceId);
    this.frames.push({
      to: "*",
      type: "key_changed",
      data: { userId, deviceId, change: "removed" },
    });
  }

  private mine(userId: string) {
    const devices = [...(this.devices.get(userId) ?? new Map<string, StoredDevice>())];
    return {
      devices: devices.map(([deviceId, d]) => ({
        deviceId,
        identityKey: d.identityKey,
        signedPreKeyId: d.signedPreKey.keyId,
        oneTimePreKeysLeft: d.prekeys.length,
        low: d.prekeys.length < 10,
      })),
    };
  }

  private async handle(userId: string, method: string, path: string, body: unknown) {
    if (method === "GET" && path === "/v1/keys") return this.mine(userId);
    if (method === "PUT" && path === "/v1/keys") {
      const b = body as StoredDevice & {
        deviceId: string;
        oneTimePreKeys: StoredDevice["prekeys"];
      };
      const devices = this.devices.get(userId) ?? new Map<string, StoredDevice>();
      this.devices.set(userId, devices);
      const known = devices.get(b.deviceId);
      const changed = known === undefined || known.identityKey !== b.identityKey;
      const prekeys = changed ? [] : known.prekeys;
      if (prekeys.length + b.oneTimePreKeys.length > 200) throw new Error("422 too many prekeys");
      devices.set(b.deviceId, {
        identityKey: b.identityKey,
        signedPreKey: b.signedPreKey,
        prekeys: [...prekeys, ...b.oneTimePreKeys],
      });
      if (changed) {
        const data = { userId, deviceId: b.deviceId, change: known ? "changed" : "added" };
        this.frames.push({ to: "*", type: "key_changed", data });
      }
      return this.mine(userId);
    }
    const keys = /^\/v1\/keys\/([^/]+)$/.exec(path);
    if (method === "GET" && keys) {
      const owner = decodeURIComponent(keys[1] as string);
      const own = owner === userId;
      const devices = [...(this.devices.get(owner) ?? new Map<string, StoredDevice>())];
      return {
        userId: owner,
        devices: devices.map(([deviceId, d]) => ({
          deviceId,
          identityKey: d.identityKey,
          signedPreKey: d.signedPreKey,
          oneTimePreKey: own ? null : (d.prekeys.shift() ?? null),
        })),
      };
    }
    const send = /^\/v1\/chats\/rooms\/([^/]+)\/messages$/.exec(path);
    if (method === "POST" && send) {
      const roomId = decodeURIComponent(send[1] as string);
      const b = body as Record<string, string>;
      const room = this.rooms.get(roomId) ?? [];
      this.rooms.set(roomId, room);
      const again = room.find((m) => m.clientMessageId === b.clientMessageId);
      if (again) return again;
      const id = `m${this.nextId++}`;
      const sentAt = new Date(Date.UTC(2026, 0, 1, 12, 0, this.nextId)).toISOString();
      const frankingTag = b.frankingTag as string;
      const message: ServerMessage = {
        id,
        roomId,
        seq: room.length + 1,
        senderId: userId,
        senderDeviceId: b.senderDeviceId,
        clientMessageId: b.clientMessageId,
        ciphertext: b.ciphertext as string,
        frankingTag,
        serverTag: await serverTagOf({ frankingTag, senderId: userId, roomId, id, sentAt }),
        mediaIds: [],
        sentAt,
        expiresAt: null,
      };
      room.push(message);
      return message;
    }
    if (method === "POST" && path === "/v1/safety/reports") {
      this.reports.push(body);
      return { id: "r1", status: "OPEN" };
    }
    throw new Error(`404 ${method} ${path}`);
  }
}
