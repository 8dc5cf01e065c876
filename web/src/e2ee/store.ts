// Where this browser keeps its end-to-end state (docs/e2ee.md §11): one JSON document per
// person (keys, sessions, identities seen), saved whole after every change in one IndexedDB
// write, so a crash leaves the old state or the new one. It never leaves the browser.
//
// At rest the document is sealed with AES-256-GCM under a CryptoKey made with
// extractable=false and kept in IndexedDB itself (which stores CryptoKey objects): script can
// use the key but never read its bytes, so what is in storage is never raw key material.
// Messages this device decrypted or sent are kept the same way, so history reads again after
// a reload (their message keys are gone by then, by design).

import { utf8 } from "./primitives";

export interface KeyStore {
  load(): Promise<unknown | null>;
  save(document: unknown): Promise<void>;
}

/** Plaintexts of read and sent messages by id, kept sealed like the state. */
export interface MessageStore {
  getMessage(id: string): Promise<unknown | null>;
  /** `expiresAt` (ISO time, or null for never): the record goes once the message expires. */
  putMessage(id: string, record: unknown, expiresAt?: string | null): Promise<void>;
  deleteMessage(id: string): Promise<void>;
  /** Deletes every record whose message expired before `now` (ms since the epoch). */
  sweepExpired(now: number): Promise<void>;
}

/** For tests and tools: kept as text, so what is loaded is a copy, never the live state. */
export class MemoryKeyStore implements KeyStore, MessageStore {
  private saved: string | null = null;
  private readonly messages = new Map<string, { text: string; expires: number }>();

  async load(): Promise<unknown | null> {
    return this.saved === null ? null : JSON.parse(this.saved);
  }
  async save(document: unknown): Promise<void> {
    this.saved = JSON.stringify(document);
  }
  async getMessage(id: string): Promise<unknown | null> {
    const kept = this.messages.get(id);
    return kept === undefined ? null : JSON.parse(kept.text);
  }
  async putMessage(id: string, record: unknown, expiresAt?: string | null): Promise<void> {
    this.messages.set(id, { text: JSON.stringify(record), expires: expiryOf(expiresAt) });
  }
  async sweepExpired(now: number): Promise<void> {
    for (const [id, kept] of this.messages) if (kept.expires <= now) this.messages.delete(id);
  }
  async deleteMessage(id: string): Promise<void> {
    this.messages.delete(id);
  }
}

const DB_NAME = "disco-e2ee";
const WRAPPING = "wrapping"; // the non-extractable AES key
const STATES = "states"; // sealed state document by user id
const MESSAGES = "messages"; // sealed message records by "user id\nmessage id"
const KEY_NAME = "state-key";

interface Sealed {
  iv: Uint8Array;
  data: ArrayBuffer;
  /** Messages only, in clear so expired ones can go unopened: when (ms), or Infinity. */
  expires?: number;
}

function expiryOf(expiresAt: string | null | undefined): number {
  const at = expiresAt ? Date.parse(expiresAt) : Number.NaN;
  return Number.isNaN(at) ? Number.POSITIVE_INFINITY : at;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error("the key store write was aborted"));
  });
}

let opened: Promise<IDBDatabase> | null = null;

function database(): Promise<IDBDatabase> {
  opened ??= new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => {
      for (const name of [WRAPPING, STATES, MESSAGES]) req.result.createObjectStore(name);
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => {
      opened = null;
      reject(req.error);
    };
  });
  return opened;
}

async function read<T>(store: string, key: string): Promise<T | undefined> {
  const db = await database();
  return request(db.transaction(store).objectStore(store).get(key)) as Promise<T | undefined>;
}

async function write(store: string, key: string, value: unknown): Promise<void> {
  const db = await database();
  const tx = db.transaction(store, "readwrite");
  tx.objectStore(store).put(value, key);
  await done(tx);
}

async function remove(store: string, key: string): Promise<void> {
  const db = await database();
  const tx = db.transaction(store, "readwrite");
  tx.objectStore(store).delete(key);
  await done(tx);
}

/** The AES-GCM key, made once per browser profile; never extractable. */
async function wrappingKey(): Promise<CryptoKey> {
  const existing = await read<CryptoKey>(WRAPPING, KEY_NAME);
  if (existing !== undefined) return existing;
  const made = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, [
    "encrypt",
    "decrypt",
  ]);
  const db = await database();
  const tx = db.transaction(WRAPPING, "readwrite");
  tx.objectStore(WRAPPING).add(made, KEY_NAME); // add: another tab that won the race keeps its key
  try {
    await done(tx);
  } catch {
    const winner = await read<CryptoKey>(WRAPPING, KEY_NAME);
    if (winner === undefined) throw new Error("the browser refused to keep the key store's key");
    return winner;
  }
  return made;
}

async function seal(value: unknown, context: string): Promise<Sealed> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: new Uint8Array(utf8(context)) },
    await wrappingKey(),
    new Uint8Array(utf8(JSON.stringify(value))),
  );
  return { iv, data };
}

async function unseal(sealed: Sealed, context: string): Promise<unknown> {
  const plain = await crypto.subtle.decrypt(
    {
      name: "AES-GCM",
      iv: new Uint8Array(sealed.iv),
      additionalData: new Uint8Array(utf8(context)),
    },
    await wrappingKey(),
    sealed.data,
  );
  return JSON.parse(new TextDecoder().decode(plain));
}

/** One person's state in this browser, sealed under the browser's non-extractable key. */
export class IndexedDbKeyStore implements KeyStore, MessageStore {
  constructor(private readonly userId: string) {}

  // The sealed bytes name their person (and message): a record moved elsewhere will not open.
  private context(id?: string): string {
    return id === undefined
      ? `disco-e2ee-state-v1\0${this.userId}`
      : `disco-e2ee-message-v1\0${this.userId}\0${id}`;
  }

  async load(): Promise<unknown | null> {
    const sealed = await read<Sealed>(STATES, this.userId);
    return sealed === undefined ? null : unseal(sealed, this.context());
  }

  async save(document: unknown): Promise<void> {
    await write(STATES, this.userId, await seal(document, this.context()));
  }

  async getMessage(id: string): Promise<unknown | null> {
    const sealed = await read<Sealed>(MESSAGES, `${this.userId}\n${id}`);
    return sealed === undefined ? null : unseal(sealed, this.context(id));
  }

  async putMessage(id: string, record: unknown, expiresAt?: string | null): Promise<void> {
    const sealed = { ...(await seal(record, this.context(id))), expires: expiryOf(expiresAt) };
    await write(MESSAGES, `${this.userId}\n${id}`, sealed);
  }

  async sweepExpired(now: number): Promise<void> {
    const db = await database();
    const tx = db.transaction(MESSAGES, "readwrite");
    // This person's records: keys from "user id\n" up to "user id\n" followed by U+FFFF.
    const mine = IDBKeyRange.bound(`${this.userId}\n`, `${this.userId}\n\uffff`);
    const cursor = tx.objectStore(MESSAGES).openCursor(mine);
    cursor.onsuccess = () => {
      const at = cursor.result;
      if (at === null) return;
      if (((at.value as Sealed).expires ?? Number.POSITIVE_INFINITY) <= now) at.delete();
      at.continue();
    };
    await done(tx);
  }

  async deleteMessage(id: string): Promise<void> {
    await remove(MESSAGES, `${this.userId}\n${id}`);
  }
}

/** Raw bytes of everything stored (for a test that no key material is readable). */
export async function storedRecords(): Promise<unknown[]> {
  const db = await database();
  const out: unknown[] = [];
  for (const name of [STATES, MESSAGES]) {
    out.push(...(await request(db.transaction(name).objectStore(name).getAll())));
  }
  return out;
}
