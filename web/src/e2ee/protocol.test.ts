// The layers under the facade: strict parsing, the ratchet's bounds, sessions per device pair,
// and the key directory's checks.

import { beforeAll, describe, expect, it } from "vitest";
import { KeyDirectory } from "./directory";
import {
  DecryptionFailed,
  DuplicateMessage,
  MalformedMessage,
  TooManySkippedMessages,
  UntrustedKeys,
} from "./errors";
import type { Http } from "./messages";
import { DeviceKeys } from "./prekeys";
import {
  b64,
  concat,
  DhKeyPair,
  type Random,
  ready,
  systemRandom,
  unb64,
  utf8,
} from "./primitives";
import {
  initiatorState,
  MAX_SKIP,
  MAX_SKIPPED_KEYS,
  type RatchetState,
  ratchetDecrypt,
  ratchetEncrypt,
  ratchetFromJson,
  ratchetToJson,
  responderState,
} from "./ratchet";
import {
  CONTENT_BYTES,
  CONTENT_TEXT,
  decodeEnvelope,
  decodePayload,
  type Envelope,
  encodeEnvelope,
  encodePayload,
  type Header,
  type Part,
} from "./wire";

beforeAll(() => ready());

const random: Random = systemRandom;

function part(deviceId: string, withPreamble = false): Part {
  return {
    userId: "user-bob",
    deviceId,
    preamble: withPreamble
      ? { identityKey: random(32), baseKey: random(32), signedPreKeyId: 3, oneTimePreKeyId: 9 }
      : null,
    header: { ratchetKey: random(32), previousChainLength: 2, number: 7 },
    nonce: random(24),
    ciphertext: random(40),
  };
}

describe("the wire format", () => {
  it("round-trips an envelope and refuses every malformation", () => {
    const envelope: Envelope = {
      senderDeviceId: "phone",
      parts: [part("laptop", true), part("phone")],
    };
    const bytes = encodeEnvelope(envelope);
    expect(decodeEnvelope(bytes)).toEqual(envelope);
    const bad = [
      concat(bytes, Uint8Array.of(0)), // trailing bytes
      bytes.slice(0, -1), // truncated
      concat(Uint8Array.of(2), bytes.slice(1)), // unknown version
      encodeEnvelope({ senderDeviceId: "phone", parts: [part("same"), part("same")] }),
      new Uint8Array(),
    ];
    const kind = bytes.slice();
    kind[1 + 1 + 5 + 1 + 1 + 8 + 1 + 6] = 3; // the first part's kind byte
    bad.push(kind);
    const flag = bytes.slice();
    flag[1 + 1 + 5 + 1 + 1 + 8 + 1 + 6 + 1 + 72] = 2; // the preamble's one-time prekey flag
    bad.push(flag);
    for (const data of bad) expect(() => decodeEnvelope(data)).toThrow(MalformedMessage);
  });

  it("pads payloads to 160 bytes and checks what is inside", () => {
    const payload = {
      contentType: CONTENT_TEXT,
      frankingKey: random(32),
      roomId: "room-1",
      body: utf8("hi"),
    };
    const padded = encodePayload(payload);
    expect(padded.length).toBe(160);
    expect(decodePayload(padded)).toEqual(payload);
    expect(encodePayload({ ...payload, body: new Uint8Array(200) }).length).toBe(320);
    const notUtf8 = encodePayload({ ...payload, body: Uint8Array.of(0xff, 0xfe) });
    expect(() => decodePayload(notUtf8)).toThrow(MalformedMessage);
    expect(
      decodePayload(
        encodePayload({ ...payload, contentType: CONTENT_BYTES, body: Uint8Array.of(0xff) }),
      ).body,
    ).toEqual(Uint8Array.of(0xff));
    const version = padded.slice();
    version[0] = 2;
    expect(() => decodePayload(version)).toThrow(MalformedMessage);
    const content = padded.slice();
    content[1] = 3;
    expect(() => decodePayload(content)).toThrow(MalformedMessage);
    expect(() => decodePayload(padded.slice(0, 100))).toThrow(MalformedMessage);
  });
});

async function pair(): Promise<{ alice: RatchetState; bob: RatchetState; ad: Uint8Array }> {
  const secret = random(32);
  const signed = DhKeyPair.generate(random);
  return {
    alice: await initiatorState(secret, signed.publicKey, DhKeyPair.generate(random)),
    bob: responderState(secret, signed),
    ad: random(64),
  };
}

interface Sent {
  header: Header;
  nonce: Uint8Array;
  ciphertext: Uint8Array;
}

async function sendMany(state: RatchetState, ad: Uint8Array, count: number): Promise<Sent[]> {
  const out: Sent[] = [];
  for (let i = 0; i < count; i++) {
    const nonce = random(24);
    out.push({ nonce, ...(await ratchetEncrypt(state, utf8(String(i)), ad, nonce)) });
  }
  return out;
}

async function open(state: RatchetState, m: Sent, ad: Uint8Array) {
  const read = await ratchetDecrypt(state, m.header, m.nonce, m.ciphertext, ad, random);
  return { state: read.state, text: new TextDecoder().decode(read.plaintext) };
}

describe("the Double Ratchet", () => {
  it("refuses replays, a forged message and a header skipping more than MAX_SKIP", async () => {
    const { alice, bob, ad } = await pair();
    const [m0, m1] = (await sendMany(alice, ad, 2)) as [Sent, Sent];
    const read = await open(bob, m1, ad);
    expect(read.text).toBe("1");
    await expect(open(read.state, m1, ad)).rejects.toBeInstanceOf(DuplicateMessage);
    const forged = { ...m0, ciphertext: m0.ciphertext.map((b, i) => (i === 0 ? b ^ 1 : b)) };
    const before = JSON.stringify(ratchetToJson(read.state));
    await expect(open(read.state, forged, ad)).rejects.toBeInstanceOf(DecryptionFailed);
    expect(JSON.stringify(ratchetToJson(read.state))).toBe(before); // nothing changed
    expect((await open(read.state, m0, ad)).text).toBe("0");
    const far = { ...m1, header: { ...m1.header, number: 3 + MAX_SKIP } };
    await expect(open(read.state, far, ad)).rejects.toBeInstanceOf(TooManySkippedMessages);
    // A first message from a new ratchet key may only skip MAX_SKIP in the old chain too.
    const next = {
      ...m1,
      header: { ...m1.header, ratchetKey: random(32), previousChainLength: 3 + MAX_SKIP },
    };
    await expect(open(read.state, next, ad)).rejects.toBeInstanceOf(TooManySkippedMessages);
  });

  it("keeps at most MAX_SKIPPED_KEYS skipped keys, the oldest going first, through JSON", async () => {
    const { alice, bob, ad } = await pair();
    const sent = await sendMany(alice, ad, 2004);
    let state = bob;
    for (const at of [1000, 2000, 2003]) state = (await open(state, sent[at] as Sent, ad)).state;
    expect(state.skipped.size).toBe(MAX_SKIPPED_KEYS);
    await expect(open(state, sent[0] as Sent, ad)).rejects.toBeInstanceOf(DuplicateMessage);
    const restored = ratchetFromJson(JSON.parse(JSON.stringify(ratchetToJson(state))));
    expect((await open(restored, sent[1] as Sent, ad)).text).toBe("1");
    expect((await open(restored, sent[2002] as Sent, ad)).text).toBe("2002");
  });
});

function bundleJson(deviceId: string, tamper = false) {
  const keys = DeviceKeys.create(random, 0);
  const upload = keys.upload(deviceId, keys.newOneTimePreKeys(1, random));
  const signature = unb64(upload.signedPreKey.signature);
  if (tamper) signature[0] = (signature[0] ?? 0) ^ 1;
  return {
    deviceId,
    identityKey: upload.identityKey,
    signedPreKey: { ...upload.signedPreKey, signature: b64(signature) },
    oneTimePreKey: upload.oneTimePreKeys[0],
  };
}

function answering(devices: unknown[]): Http {
  const fail = () => Promise.reject(new Error("not here"));
  return { get: async <T>() => ({ userId: "bob", devices }) as T, put: fail, post: fail };
}

describe("the key directory", () => {
  it("refuses a whole answer when one signed prekey does not verify", async () => {
    const good = bundleJson("phone");
    const directory = new KeyDirectory(answering([good, bundleJson("laptop", true)]), {});
    await expect(directory.devices("bob")).rejects.toBeInstanceOf(UntrustedKeys);
    const fine = new KeyDirectory(answering([good]), {});
    expect([...(await fine.devices("bob")).keys()]).toEqual(["phone"]);
    expect(fine.known).toEqual({ bob: { phone: good.identityKey } });
  });

  it("refuses malformed bundles", async () => {
    const good = bundleJson("phone");
    for (const bad of [
      { ...good, identityKey: "short" },
      { ...good, signedPreKey: { ...good.signedPreKey, keyId: -1 } },
      { ...good, deviceId: 7 },
      null,
    ]) {
      await expect(new KeyDirectory(answering([bad]), {}).devices("bob")).rejects.toBeInstanceOf(
        MalformedMessage,
      );
    }
  });

  it("records a device that comes back with another identity key (trust on first use)", async () => {
    let devices = [bundleJson("phone")];
    const http: Http = { ...answering([]), get: async <T>() => ({ devices }) as T };
    const directory = new KeyDirectory(http, {});
    await directory.devices("bob");
    devices = [bundleJson("phone")];
    await directory.devices("bob", true);
    expect(directory.changes).toEqual([{ userId: "bob", deviceId: "phone", change: "changed" }]);
    // A one-time prekey is handed out once: the cached bundle keeps none after a session start.
    expect(directory.takeBundle("bob", "phone").oneTimePreKey).not.toBeNull();
    expect(directory.takeBundle("bob", "phone").oneTimePreKey).toBeNull();
  });
});
