// Keys over time, through the facade: two session starts at once, a reinstall (an identity
// change under the same device id), signed prekey rotation, one-time prekey top-up, and the
// cost of a message to three devices.

import { beforeAll, describe, expect, it, vi } from "vitest";
import { type PlainMessage, SecureChat, type Undecryptable } from "./index";
import type { StateDocument } from "./local";
import { ready } from "./primitives";
import { MemoryKeyStore } from "./store";
import { FakeServer } from "./test-server";

beforeAll(() => ready());

const ROOM = "room-1";
const DAY = 24 * 3600;

function text(result: PlainMessage | Undecryptable): string | null {
  if ("reason" in result) throw new Error(`undecryptable: ${result.reason}`);
  return result.text;
}

function open(server: FakeServer, userId: string, store = new MemoryKeyStore(), now = 1e9) {
  return SecureChat.open(userId, server.http(userId), {
    store,
    clock: () => now,
    oneTimePreKeys: 20,
  });
}

describe("sessions over time", () => {
  it("two devices that start sessions with each other at once keep talking", async () => {
    const server = new FakeServer();
    const alice = await open(server, "alice");
    const bob = await open(server, "bob");
    const fromAlice = await alice.send(ROOM, "bob", "hi from alice");
    const fromBob = await bob.send(ROOM, "alice", "hi from bob");
    expect(text(await bob.decrypt(fromAlice))).toBe("hi from alice");
    expect(text(await alice.decrypt(fromBob))).toBe("hi from bob");
    const second = await bob.send(ROOM, "alice", "second");
    const third = await alice.send(ROOM, "bob", "third");
    expect(text(await alice.decrypt(second))).toBe("second");
    expect(text(await bob.decrypt(third))).toBe("third");
    const fourth = await bob.send(ROOM, "alice", "fourth");
    expect(text(await alice.decrypt(fourth))).toBe("fourth");
  });

  it("a reinstall under the same device id is a key change: a new session and safety number", async () => {
    const server = new FakeServer();
    const alice = await open(server, "alice");
    const bob = await open(server, "bob");
    expect(text(await bob.decrypt(await alice.send(ROOM, "bob", "before")))).toBe("before");
    const number = await alice.safetyNumber("bob");

    // Bob reinstalls: new keys, published under his old device id.
    const scratch = new MemoryKeyStore();
    await open(new FakeServer(), "bob", scratch);
    const fresh = (await scratch.load()) as StateDocument;
    const store = new MemoryKeyStore();
    await store.save({ ...fresh, deviceId: bob.deviceId });
    const reinstalled = await open(server, "bob", store);
    expect(reinstalled.deviceId).toBe(bob.deviceId);
    expect(server.frames.at(-1)?.data).toMatchObject({ userId: "bob", change: "changed" });

    alice.keyChanged({ userId: "bob", deviceId: bob.deviceId, change: "changed" });
    await alice.settled();
    const after = await alice.send(ROOM, "bob", "after");
    expect(text(await reinstalled.decrypt(after))).toBe("after");
    expect(alice.keyChanges).toContainEqual({
      userId: "bob",
      deviceId: bob.deviceId,
      change: "changed",
    });
    expect((await alice.safetyNumber("bob")).digits).not.toBe(number.digits);
    expect(text(await alice.decrypt(await reinstalled.send(ROOM, "alice", "back")))).toBe("back");
  });

  it("a session start from before a signed prekey rotation still opens", async () => {
    const server = new FakeServer();
    const alice = await open(server, "alice");
    const store = new MemoryKeyStore();
    const bob = await open(server, "bob", store, 1e9);
    const bundleId = server.devices.get("bob")?.get(bob.deviceId)?.signedPreKey.keyId;
    const early = await alice.send(ROOM, "bob", "from the old bundle");
    const later = await open(server, "bob", store, 1e9 + 8 * DAY);
    const rotated = server.devices.get("bob")?.get(bob.deviceId)?.signedPreKey.keyId;
    expect(rotated).toBe((bundleId ?? 0) + 1);
    expect(text(await later.decrypt(early))).toBe("from the old bundle");
  });

  it("tops one-time prekeys up when the directory says low, never reusing an id", async () => {
    const server = new FakeServer();
    const bob = await open(server, "bob");
    const held = server.devices.get("bob")?.get(bob.deviceId)?.prekeys ?? [];
    expect(held.map((k) => k.keyId)).toEqual([...Array(20).keys()]);
    held.splice(0, 15); // handed out to fifteen peers
    expect(await bob.maintain()).toBe(20);
    const ids = (server.devices.get("bob")?.get(bob.deviceId)?.prekeys ?? []).map((k) => k.keyId);
    expect(new Set(ids).size).toBe(20);
    expect(Math.min(...ids)).toBe(15);
    expect(Math.max(...ids)).toBe(34);
    // Not low: nothing uploaded.
    const calls = server.calls.length;
    expect(await bob.maintain()).toBe(20);
    expect(server.calls.slice(calls)).toEqual([`bob GET /v1/keys`]);
  });

  it("after a session start that used a one-time prekey, the receiver checks its supply", async () => {
    const server = new FakeServer();
    const alice = await open(server, "alice");
    const bob = await open(server, "bob");
    const sent = await alice.send(ROOM, "bob", "hello");
    const calls = server.calls.length;
    expect(text(await bob.decrypt(sent))).toBe("hello");
    await bob.settled();
    expect(server.calls.slice(calls)).toContain("bob GET /v1/keys");
  });

  it("two tabs of one browser share the device without undoing each other's state", async () => {
    const server = new FakeServer();
    const alice = await open(server, "alice");
    const store = new MemoryKeyStore();
    const tabA = await open(server, "bob", store);
    const tabB = await open(server, "bob", store);
    expect(tabB.deviceId).toBe(tabA.deviceId);
    expect(server.devices.get("bob")?.size).toBe(1);

    const first = await alice.send(ROOM, "bob", "to both tabs");
    expect(text(await tabA.decrypt(first))).toBe("to both tabs");
    expect(text(await tabB.decrypt(first))).toBe("to both tabs"); // from the shared cache
    const fromA = await tabA.send(ROOM, "alice", "from tab A");
    const fromB = await tabB.send(ROOM, "alice", "from tab B");
    expect(text(await alice.decrypt(fromA))).toBe("from tab A");
    expect(text(await alice.decrypt(fromB))).toBe("from tab B");
    // Alice answers in the session tab B's message made current: tab A reads it first.
    const back = await alice.send(ROOM, "bob", "back");
    expect(text(await tabA.decrypt(back))).toBe("back");
    const again = await tabB.send(ROOM, "alice", "and again");
    expect(text(await alice.decrypt(again))).toBe("and again");
    expect(text(await tabA.decrypt(await alice.send(ROOM, "bob", "last")))).toBe("last");
  });

  it("holds the browser-wide Web Lock of the person for every change", async () => {
    // Web Locks as browsers grant them: one holder per name, the others queued.
    const held: string[] = [];
    const tails = new Map<string, Promise<unknown>>();
    const locks = {
      request: (name: string, task: () => Promise<unknown>) => {
        const granted = (tails.get(name) ?? Promise.resolve()).then(() => {
          held.push(name);
          return task();
        });
        tails.set(
          name,
          granted.catch(() => undefined),
        );
        return granted;
      },
    };
    vi.stubGlobal("navigator", { locks });
    try {
      const server = new FakeServer();
      const alice = await open(server, "alice");
      const store = new MemoryKeyStore();
      const [tabA, tabB] = await Promise.all([
        open(server, "bob", store),
        open(server, "bob", store),
      ]);
      expect(tabA.deviceId).toBe(tabB.deviceId); // one device, not two
      const sent = await alice.send(ROOM, "bob", "locked");
      const [a, b] = await Promise.all([tabA.decrypt(sent), tabB.decrypt(sent)]);
      expect([text(a), text(b)]).toEqual(["locked", "locked"]);
      expect(new Set(held)).toEqual(new Set(["disco-e2ee:alice", "disco-e2ee:bob"]));
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it("a message to three devices takes milliseconds", async () => {
    const server = new FakeServer();
    const alice = await open(server, "alice");
    await open(server, "alice");
    await open(server, "bob");
    await open(server, "bob");
    await alice.send(ROOM, "bob", "start the sessions");
    const started = performance.now();
    for (let i = 0; i < 10; i++) await alice.send(ROOM, "bob", `message ${i}`);
    const each = (performance.now() - started) / 10;
    console.info(`one message to three devices: ${each.toFixed(2)} ms`);
    expect(each).toBeLessThan(1000); // about 5 ms here; the bound only catches a blow-up
  });
});
