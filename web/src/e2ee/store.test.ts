// The IndexedDB key store (fake-indexeddb here): the state survives a reload, is sealed under
// a non-extractable AES-GCM key, and no key material is readable from storage without it.

import "fake-indexeddb/auto";
import { beforeAll, describe, expect, it } from "vitest";
import { SecureChat } from "./index";
import type { StateDocument } from "./local";
import { b64, ready, unb64, utf8 } from "./primitives";
import { IndexedDbKeyStore, storedRecords } from "./store";
import { FakeServer } from "./test-server";

beforeAll(() => ready());

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

/** Runs `work` in a read-write transaction on one object store of the key database. */
function raw(name: string, work: (store: IDBObjectStore) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open("disco-e2ee");
    open.onsuccess = () => {
      const tx = open.result.transaction(name, "readwrite");
      work(tx.objectStore(name));
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    };
    open.onerror = () => reject(open.error);
  });
}

function wrappingKey(): Promise<CryptoKey> {
  return new Promise((resolve, reject) => {
    const open = indexedDB.open("disco-e2ee");
    open.onsuccess = () => {
      const get = open.result.transaction("wrapping").objectStore("wrapping").get("state-key");
      get.onsuccess = () => resolve(get.result as CryptoKey);
      get.onerror = () => reject(get.error);
    };
    open.onerror = () => reject(open.error);
  });
}

describe("the IndexedDB key store", () => {
  it("keeps the device across reloads, sealed, with no readable key material", async () => {
    const server = new FakeServer();
    const ada = await SecureChat.open("ada", server.http("ada"));
    const bob = await SecureChat.open("bob", server.http("bob"));
    const sent = await bob.send("room", "ada", "sealed at rest");
    expect((await ada.decrypt(sent)) as { text: string }).toMatchObject({ text: "sealed at rest" });

    const reloaded = await SecureChat.open("ada", server.http("ada"));
    expect(reloaded.deviceId).toBe(ada.deviceId);
    expect(reloaded.identityKey).toBe(ada.identityKey);
    // Read before the reload: answered from the sealed message cache.
    expect(await reloaded.decrypt(sent)).toMatchObject({ text: "sealed at rest" });
    // Nothing new uploaded for an unchanged device: its keys were already published.
    expect(server.devices.get("ada")?.size).toBe(1);

    const document = (await new IndexedDbKeyStore("ada").load()) as StateDocument;
    const seed = unb64(document.keys.identitySeed);
    const secrets = [
      seed,
      utf8(b64(seed)),
      utf8(document.keys.identitySeed),
      utf8("identitySeed"),
      utf8("sealed at rest"),
    ];
    for (const signed of document.keys.signedPreKeys) secrets.push(unb64(signed.private));
    const records = (await storedRecords()) as { iv: Uint8Array; data: ArrayBuffer }[];
    expect(records.length).toBeGreaterThanOrEqual(3); // two states and a message
    for (const record of records) {
      const bytes = new Uint8Array(record.data);
      for (const secret of secrets) expect(contains(bytes, secret)).toBe(false);
    }

    const key = await wrappingKey();
    expect(key.extractable).toBe(false);
    expect(key.algorithm).toMatchObject({ name: "AES-GCM", length: 256 });
    await expect(crypto.subtle.exportKey("raw", key)).rejects.toThrow();
  });

  it("a sealed state does not open as another person's", async () => {
    const store = new IndexedDbKeyStore("carol");
    await store.save({ secret: 1 });
    expect(await store.load()).toEqual({ secret: 1 });
    const dan = new IndexedDbKeyStore("dan");
    await dan.save({ mine: true });
    // Carol's sealed bytes where Dan's state goes: the AES-GCM context (the user id) refuses.
    await raw("states", (s) => {
      const get = s.get("carol");
      get.onsuccess = () => s.put(get.result, "dan");
    });
    await expect(dan.load()).rejects.toThrow();
  });

  it("forgets the plaintexts of expired messages", async () => {
    const grace = new IndexedDbKeyStore("grace");
    const heidi = new IndexedDbKeyStore("heidi");
    const past = new Date(Date.now() - 1000).toISOString();
    const future = new Date(Date.now() + 3_600_000).toISOString();
    await grace.putMessage("old", { text: "gone" }, past);
    await grace.putMessage("new", { text: "kept" }, future);
    await grace.putMessage("forever", { text: "kept" }, null);
    await heidi.putMessage("old", { text: "not grace's to sweep" }, past);
    await grace.sweepExpired(Date.now());
    expect(await grace.getMessage("old")).toBeNull();
    expect(await grace.getMessage("new")).toEqual({ text: "kept" });
    expect(await grace.getMessage("forever")).toEqual({ text: "kept" });
    expect(await heidi.getMessage("old")).toEqual({ text: "not grace's to sweep" });
  });

  it("refuses a store of another person", async () => {
    const server = new FakeServer();
    const store = new IndexedDbKeyStore("erin");
    await SecureChat.open("erin", server.http("erin"), { store });
    await expect(SecureChat.open("frank", server.http("frank"), { store })).rejects.toThrow(
      /another person/,
    );
  });
});
