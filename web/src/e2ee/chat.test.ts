// The facade end to end, with an in-memory server (test-server.ts): conversations both ways,
// several devices per person, lost and reordered messages, replays and tampering refused
// without a change of state, safety numbers, franking openings, key changes.

import { beforeAll, describe, expect, it, vi } from "vitest";
import { type PlainMessage, SecureChat, type ServerMessage, type Undecryptable } from "./index";
import { b64, hmacSha256, ready, unb64, utf8 } from "./primitives";
import { type KeyStore, MemoryKeyStore } from "./store";
import { FakeServer, serverTagOf } from "./test-server";
import { decodeEnvelope, encodeEnvelope } from "./wire";

beforeAll(() => ready());

const ROOM = "room-1";

async function device(server: FakeServer, userId: string, store: KeyStore = new MemoryKeyStore()) {
  return SecureChat.open(userId, server.http(userId), { store, oneTimePreKeys: 20 });
}

function plain(result: PlainMessage | Undecryptable): PlainMessage {
  if ("reason" in result) throw new Error(`undecryptable: ${result.reason}`);
  return result;
}

function refused(result: PlainMessage | Undecryptable): string {
  if (!("reason" in result)) throw new Error(`decrypted: ${result.text}`);
  return result.reason;
}

/** Only the key state: no plaintext kept, as after a reload that lost the message cache. */
class StateOnly implements KeyStore {
  constructor(private readonly inner: KeyStore) {}
  load() {
    return this.inner.load();
  }
  save(document: unknown) {
    return this.inner.save(document);
  }
}

describe("a conversation through the facade", () => {
  it("works both ways and each side reads its own messages", async () => {
    const server = new FakeServer();
    const alice = await device(server, "alice");
    const bob = await device(server, "bob");
    expect(server.devices.get("alice")?.get(alice.deviceId)?.prekeys.length).toBe(20);

    const sent = await alice.send(ROOM, "bob", "Hi Bob! Coffee at 5?");
    expect(sent.senderDeviceId).toBe(alice.deviceId);
    expect(sent.ciphertext).not.toContain("Coffee");
    const read = plain(await bob.decrypt(sent));
    expect(read).toMatchObject({ text: "Hi Bob! Coffee at 5?", kind: "text", mine: false });
    expect(read.senderDeviceId).toBe(alice.deviceId);
    await bob.settled();

    const reply = await bob.send(ROOM, "alice", "5 is perfect ☕");
    expect(plain(await alice.decrypt(reply)).text).toBe("5 is perfect ☕");
    expect(plain(await alice.decrypt(sent))).toMatchObject({
      mine: true,
      text: "Hi Bob! Coffee at 5?",
    });
    expect(plain(await bob.decrypt(reply)).mine).toBe(true);

    // Bytes travel as bytes, and a third turn needs no preamble any more.
    const bytes = await alice.send(ROOM, "bob", Uint8Array.of(0, 1, 2, 255));
    const envelope = decodeEnvelope(unb64(bytes.ciphertext));
    expect(envelope.parts.map((p) => p.preamble)).toEqual([null]);
    const got = plain(await bob.decrypt(bytes));
    expect(got.kind).toBe("bytes");
    expect([...(got.bytes ?? [])]).toEqual([0, 1, 2, 255]);
  });

  it("tops up keys once for a burst of messages that each carry the session start", async () => {
    const server = new FakeServer();
    const alice = await device(server, "alice");
    const bob = await device(server, "bob");
    const burst: ServerMessage[] = [];
    for (let n = 0; n < 10; n += 1) burst.push(await alice.send(ROOM, "bob", `message ${n}`));
    // Bob has not answered: every one of them carries the session start.
    const last = decodeEnvelope(unb64(burst[burst.length - 1]?.ciphertext ?? ""));
    expect(last.parts[0]?.preamble).not.toBeNull();
    server.calls.length = 0;
    await Promise.all(burst.map((message) => bob.decrypt(message)));
    await bob.settled();
    const lookups = server.calls.filter((call) => call === "bob GET /v1/keys");
    expect(lookups.length).toBeLessThanOrEqual(2);
  });

  it("reads its own message when its frame comes before the send's answer", async () => {
    const server = new FakeServer();
    await device(server, "bob");
    let frame: Promise<PlainMessage | Undecryptable> | null = null;
    const http = server.http("alice");
    const echoing = {
      ...http,
      post: async <T>(path: string, body: unknown): Promise<T> => {
        const stored = await http.post<ServerMessage>(path, body);
        frame = alice.decrypt(stored); // the socket delivers it while the POST is answered
        return stored as T;
      },
    };
    const alice = await SecureChat.open("alice", echoing, { store: new MemoryKeyStore() });
    await alice.send(ROOM, "bob", "echo");
    expect(frame).not.toBeNull();
    expect(plain(await (frame as unknown as Promise<PlainMessage>))).toMatchObject({
      text: "echo",
      mine: true,
    });
  });

  it("refuses a message too large for the server before anything is sent or advances", async () => {
    const server = new FakeServer();
    const store = new MemoryKeyStore();
    const alice = await device(server, "alice", store);
    const bob = await device(server, "bob");
    expect(plain(await bob.decrypt(await alice.send(ROOM, "bob", "first")))).toBeTruthy();
    const before = JSON.stringify(await store.load());
    await expect(alice.send(ROOM, "bob", new Uint8Array(66_000))).rejects.toThrow(/too long/);
    expect(JSON.stringify(await store.load())).toBe(before);
    expect(server.history(ROOM)).toHaveLength(1);
    const next = await alice.send(ROOM, "bob", "shorter");
    expect(decodeEnvelope(unb64(next.ciphertext)).parts[0]?.header.number).toBe(1);
    expect(plain(await bob.decrypt(next)).text).toBe("shorter");
  });

  it("reads messages out of order, survives lost ones and reads them when they come", async () => {
    const server = new FakeServer();
    const alice = await device(server, "alice");
    const bob = await device(server, "bob");
    const m = [];
    for (const text of ["one", "two", "three", "four"]) m.push(await alice.send(ROOM, "bob", text));
    const [one, two, three, four] = m as [
      ServerMessage,
      ServerMessage,
      ServerMessage,
      ServerMessage,
    ];
    expect(plain(await bob.decrypt(three)).text).toBe("three");
    expect(plain(await bob.decrypt(one)).text).toBe("one");
    const answer = await bob.send(ROOM, "alice", "got some");
    expect(plain(await alice.decrypt(answer)).text).toBe("got some");
    const five = await alice.send(ROOM, "bob", "five");
    expect(plain(await bob.decrypt(five)).text).toBe("five");
    expect(plain(await bob.decrypt(four)).text).toBe("four");
    expect(plain(await bob.decrypt(two)).text).toBe("two"); // "lost", then late
  });

  it("refuses a replay, and a message read before reads from the cache", async () => {
    const server = new FakeServer();
    const alice = await device(server, "alice");
    const bobStore = new MemoryKeyStore();
    const bob = await device(server, "bob", bobStore);
    const sent = await alice.send(ROOM, "bob", "once");
    expect(plain(await bob.decrypt(sent)).text).toBe("once");
    // The same message again (its frame, then the catch-up): answered from memory.
    expect(plain(await bob.decrypt(sent)).text).toBe("once");
    // The server replays it under a new id: its key is gone.
    expect(refused(await bob.decrypt({ ...sent, id: "replayed", seq: 9 }))).toMatch(/already read/);
    // After a reload without the message cache, it cannot be decrypted again, by design.
    const reloaded = await device(server, "bob", new StateOnly(bobStore));
    expect(reloaded.deviceId).toBe(bob.deviceId);
    expect(refused(await reloaded.decrypt(sent))).toMatch(/already read/);
    // With the cache (the IndexedDB store keeps one), it reads again.
    const again = await device(server, "bob", bobStore);
    expect(plain(await again.decrypt(sent)).text).toBe("once");
  });

  it("forgets an expired message's plaintext", async () => {
    const server = new FakeServer();
    const alice = await device(server, "alice");
    const store = new MemoryKeyStore();
    const bob = await device(server, "bob", store);
    const sent = await alice.send(ROOM, "bob", "this disappears");
    const expiring = { ...sent, expiresAt: new Date(Date.now() + 60_000).toISOString() };
    expect(plain(await bob.decrypt(expiring)).text).toBe("this disappears");
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 120_000 });
    try {
      await bob.sweepExpired();
      expect(await store.getMessage(sent.id)).toBeNull();
      expect(refused(await bob.decrypt(expiring))).toMatch(/already read/);
    } finally {
      vi.useRealTimers();
    }
  });

  it("refuses tampered, misdirected and unprovable messages without changing any state", async () => {
    const server = new FakeServer();
    const alice = await device(server, "alice");
    const store = new MemoryKeyStore();
    const bob = await device(server, "bob", store);
    const sent = await alice.send(ROOM, "bob", "the real one");
    const before = JSON.stringify(await store.load());

    const raw = unb64(sent.ciphertext);
    const flipped = raw.slice();
    flipped[flipped.length - 3] = (flipped[flipped.length - 3] ?? 0) ^ 1;
    const envelope = decodeEnvelope(raw);
    const part = envelope.parts[0];
    if (!part) throw new Error("no part");
    const otherHeader = encodeEnvelope({
      ...envelope,
      parts: [{ ...part, header: { ...part.header, number: 5 } }],
    });
    const fakeTag = b64(await hmacSha256(new Uint8Array(32), utf8("the real one")));
    const cases: [Partial<ServerMessage>, RegExp][] = [
      [{ ciphertext: b64(flipped) }, /could not be decrypted/],
      [{ ciphertext: b64(otherHeader) }, /could not be decrypted/],
      [{ ciphertext: `${sent.ciphertext.slice(0, -4)}` }, /format|could not/],
      [{ ciphertext: "not base64!" }, /format/],
      [{ roomId: "another-room" }, /not meant for this chat/],
      [{ frankingTag: fakeTag }, /no valid proof/],
      [{ frankingTag: "" }, /no valid proof/],
      [{ senderId: "mallory" }, /keys do not match/],
    ];
    for (const [change, reason] of cases) {
      const result = await bob.decrypt({ ...sent, ...change, id: `forged-${reason.source}` });
      expect(refused(result)).toMatch(reason);
      expect(JSON.stringify(await store.load())).toBe(before);
    }
    expect(refused(await bob.decrypt({ nonsense: true } as unknown as ServerMessage))).toMatch(
      /format/,
    );
    expect(plain(await bob.decrypt(sent)).text).toBe("the real one");
  });
});

describe("several devices per person", () => {
  it("seals one envelope for every other device, and everyone reads it", async () => {
    const server = new FakeServer();
    const alicePhone = await device(server, "alice");
    const aliceLaptop = await device(server, "alice");
    const bobPhone = await device(server, "bob");
    const bobLaptop = await device(server, "bob");

    const first = await alicePhone.send(ROOM, "bob", "to all of you");
    const parts = decodeEnvelope(unb64(first.ciphertext)).parts;
    expect(parts.map((p) => `${p.userId}/${p.deviceId}`)).toEqual(
      [
        `alice/${aliceLaptop.deviceId}`,
        `bob/${bobLaptop.deviceId}`,
        `bob/${bobPhone.deviceId}`,
      ].sort(),
    );
    for (const reader of [aliceLaptop, bobPhone, bobLaptop]) {
      expect(plain(await reader.decrypt(first)).text).toBe("to all of you");
    }
    expect(plain(await aliceLaptop.decrypt(first)).mine).toBe(true);

    const reply = await bobLaptop.send(ROOM, "alice", "from the laptop");
    for (const reader of [alicePhone, aliceLaptop, bobPhone]) {
      expect(plain(await reader.decrypt(reply)).text).toBe("from the laptop");
    }
    const third = await aliceLaptop.send(ROOM, "bob", "and from mine");
    for (const reader of [alicePhone, bobPhone, bobLaptop]) {
      expect(plain(await reader.decrypt(third)).text).toBe("and from mine");
    }
  });

  it("a device added later gets parts once a key_changed frame is heard; a removed one none", async () => {
    const server = new FakeServer();
    const alice = await device(server, "alice");
    const bobPhone = await device(server, "bob");
    await alice.send(ROOM, "bob", "before");
    const bobLaptop = await device(server, "bob");
    const early = await alice.send(ROOM, "bob", "cached keys");
    expect(refused(await bobLaptop.decrypt(early))).toMatch(/before this device was set up/);
    alice.keyChanged({ userId: "bob", deviceId: bobLaptop.deviceId, change: "added" });
    await alice.settled();
    const later = await alice.send(ROOM, "bob", "now both");
    expect(plain(await bobLaptop.decrypt(later)).text).toBe("now both");
    expect(plain(await bobPhone.decrypt(later)).text).toBe("now both");

    server.removeDevice("bob", bobLaptop.deviceId);
    alice.keyChanged({ userId: "bob", deviceId: bobLaptop.deviceId, change: "removed" });
    await alice.settled();
    expect(alice.keyChanges.map((c) => c.change)).toEqual(["added", "removed"]);
    const last = await alice.send(ROOM, "bob", "phone only");
    expect(decodeEnvelope(unb64(last.ciphertext)).parts.map((p) => p.deviceId)).toEqual([
      bobPhone.deviceId,
    ]);
  });
});

describe("safety numbers and franking", () => {
  it("both people see the same number, stable until a device changes", async () => {
    const server = new FakeServer();
    const alice = await device(server, "alice");
    const bob = await device(server, "bob");
    const forAlice = await alice.safetyNumber("bob");
    const forBob = await bob.safetyNumber("alice");
    expect(forAlice).toEqual(forBob);
    expect(forAlice.digits).toMatch(/^(\d{5} ){11}\d{5}$/);
    expect(forAlice.qrPayload).toMatch(/^disco-sn:1:[0-9a-f]{64}:[0-9a-f]{64}$/);
    expect(await alice.safetyNumber("bob")).toEqual(forAlice);

    const laptop = await device(server, "bob");
    alice.keyChanged({ userId: "bob", deviceId: laptop.deviceId, change: "added" });
    await alice.settled();
    const changed = await alice.safetyNumber("bob");
    expect(changed.digits).not.toBe(forAlice.digits);
    expect(changed).toEqual(await laptop.safetyNumber("alice"));
  });

  it("a report's openings verify against both tags", async () => {
    const server = new FakeServer();
    const alice = await device(server, "alice");
    const bob = await device(server, "bob");
    const sent = await alice.send(ROOM, "bob", "you will regret this");
    const read = plain(await bob.decrypt(sent));
    const [opening] = bob.reportOpenings([read]);
    if (!opening) throw new Error("no opening");
    expect(opening).toMatchObject({
      id: sent.id,
      senderId: "alice",
      sentAt: sent.sentAt,
      roomId: ROOM,
      text: "you will regret this",
      frankingTag: sent.frankingTag,
      serverTag: sent.serverTag,
    });
    const commitment = await hmacSha256(unb64(opening.frankingKey), unb64(opening.plaintext));
    expect(b64(commitment)).toBe(sent.frankingTag);
    expect(opening.serverTag).toBe(await serverTagOf(opening));
    await bob.report("alice", "HARASSMENT", [read]);
    expect(server.reports).toHaveLength(1);
    await expect(bob.report("bob", "HARASSMENT", [read])).rejects.toThrow(/reported person/);
  });
});
