// Every value of tests/vectors/e2ee.json recomputed from its inputs with this folder's code
// (docs/e2ee.md §12), as tests/unit/test_e2ee_vectors.py does with the Python SDK.

import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { Device, type Recipient, type Sealed } from "./device";
import { fingerprint, safetyNumber } from "./fingerprint";
import { commit } from "./franking";
import { DeviceKeys } from "./prekeys";
import {
  aeadDecrypt,
  aeadEncrypt,
  b64,
  concat,
  DhKeyPair,
  dh,
  fromUtf8,
  hex,
  hkdfSha256,
  hmacSha256,
  IdentityKeyPair,
  ready,
  unb64,
  unhex,
  utf8,
} from "./primitives";
import { initiatorState, kdfCk, kdfRk } from "./ratchet";
import { SessionBook } from "./sessions";
import {
  CONTENT_TEXT,
  decodeEnvelope,
  decodeHeader,
  decodePayload,
  encodeHeader,
  encodePayload,
} from "./wire";
import { bundleFromApi, type DeviceBundle, initiate, withoutOneTimePreKey } from "./x3dh";

// biome-ignore lint/suspicious/noExplicitAny: the vectors file is JSON of a known shape
type Json = any;
const FILE: Json = JSON.parse(
  readFileSync(new URL("../../../tests/vectors/e2ee.json", import.meta.url), "utf8"),
);
const { inputs, expected } = FILE;
const h = unhex;

/** Hands out a fixed list of draws, in order, and says when any is left. */
function scripted(draws: string[]) {
  const queue = draws.map(h);
  const random = (size: number): Uint8Array => {
    const next = queue.shift();
    if (next === undefined || next.length !== size) {
      throw new Error(`unexpected draw of ${size} bytes (next: ${next?.length})`);
    }
    return next;
  };
  return { random, left: () => queue.length };
}

beforeAll(() => ready());

describe("the published primitive vectors", () => {
  it("X25519, Ed25519, HKDF, HMAC and XChaCha20-Poly1305 match", async () => {
    const p = inputs.primitives;
    const alice = DhKeyPair.fromPrivate(h(p.x25519.alicePrivate));
    const bob = DhKeyPair.fromPrivate(h(p.x25519.bobPrivate));
    const ed = new IdentityKeyPair(h(p.ed25519.seed));
    const { hkdfSha256: kdf, hmacSha256: mac, xchacha20poly1305: aead } = p;
    const got = {
      x25519: {
        alicePublic: hex(alice.publicKey),
        bobPublic: hex(bob.publicKey),
        shared: hex(dh(alice, bob.publicKey)),
      },
      ed25519: { public: hex(ed.publicKey), signature: hex(ed.sign(h(p.ed25519.message))) },
      hkdfSha256: hex(await hkdfSha256(h(kdf.ikm), h(kdf.salt), h(kdf.info), kdf.length)),
      hmacSha256: hex(await hmacSha256(h(mac.key), h(mac.message))),
      xchacha20poly1305: hex(
        aeadEncrypt(h(aead.key), h(aead.nonce), h(aead.plaintext), h(aead.associatedData)),
      ),
    };
    expect(got).toEqual(expected.primitives);
    const opened = aeadDecrypt(
      h(aead.key),
      h(aead.nonce),
      h(got.xchacha20poly1305),
      h(aead.associatedData),
    );
    expect(hex(opened)).toBe(aead.plaintext);
  });

  it("refuses a small-order X25519 key", () => {
    expect(() => dh(DhKeyPair.fromPrivate(new Uint8Array(32).fill(7)), new Uint8Array(32))).toThrow(
      /usable/,
    );
  });
});

describe("x3dh and ratchet vectors", () => {
  it("recomputes every value", async () => {
    const g = inputs.x3dh;
    const alice = new IdentityKeyPair(h(g.aliceIdentitySeed));
    const bob = new IdentityKeyPair(h(g.bobIdentitySeed));
    const signed = DhKeyPair.fromPrivate(h(g.bobSignedPreKeyPrivate));
    const oneTime = DhKeyPair.fromPrivate(h(g.bobOneTimePreKeyPrivate));
    const ephemeral = DhKeyPair.fromPrivate(h(g.aliceEphemeralPrivate));
    const bundle: DeviceBundle = {
      deviceId: "phone",
      identityKey: bob.publicKey,
      signedPreKeyId: g.bobSignedPreKeyId,
      signedPreKey: signed.publicKey,
      signedPreKeySignature: bob.sign(signed.publicKey),
      oneTimePreKeyId: g.bobOneTimePreKeyId,
      oneTimePreKey: oneTime.publicKey,
    };
    const { agreement } = await initiate(alice, bundle, ephemeral);
    const without = await initiate(alice, withoutOneTimePreKey(bundle), ephemeral);
    const aliceDh = alice.dhPair();
    const bobDh = bob.dhPair();
    expect({
      aliceIdentityKey: hex(alice.publicKey),
      aliceIdentityX25519Private: hex(aliceDh.privateKey),
      aliceIdentityX25519Public: hex(aliceDh.publicKey),
      bobIdentityKey: hex(bob.publicKey),
      bobIdentityX25519Public: hex(bobDh.publicKey),
      bobSignedPreKeyPublic: hex(signed.publicKey),
      bobSignedPreKeySignature: hex(bundle.signedPreKeySignature),
      bobOneTimePreKeyPublic: hex(oneTime.publicKey),
      aliceEphemeralPublic: hex(ephemeral.publicKey),
      dh1: hex(dh(aliceDh, signed.publicKey)),
      dh2: hex(dh(ephemeral, bobDh.publicKey)),
      dh3: hex(dh(ephemeral, signed.publicKey)),
      dh4: hex(dh(ephemeral, oneTime.publicKey)),
      sharedSecret: hex(agreement.sharedSecret),
      sharedSecretWithoutOneTimePreKey: hex(without.agreement.sharedSecret),
      associatedData: hex(agreement.associatedData),
    }).toEqual(expected.x3dh);

    const ratchetKey = DhKeyPair.fromPrivate(h(inputs.ratchet.aliceRatchetPrivate));
    const state = await initiatorState(agreement.sharedSecret, signed.publicKey, ratchetKey);
    const [root, first] = await kdfRk(agreement.sharedSecret, dh(ratchetKey, signed.publicKey));
    expect(hex(state.rootKey)).toBe(hex(root));
    const steps = [];
    let chain = first;
    for (let i = 0; i < 3; i++) {
      const [next, messageKey] = await kdfCk(chain);
      steps.push({ chainKey: hex(chain), messageKey: hex(messageKey), nextChainKey: hex(next) });
      chain = next;
    }
    expect({
      aliceRatchetPublic: hex(ratchetKey.publicKey),
      dhOutput: hex(dh(ratchetKey, signed.publicKey)),
      rootKey: hex(root),
      sendingChain: steps,
    }).toEqual(expected.ratchet);
  });

  it("opens the conversation's first part with the ratchet section's first message key", () => {
    const first = expected.conversation.messages.m1;
    const toPhone = first.parts.find((p: Json) => p.deviceId === "phone");
    const header = decodeHeader(h(toPhone.header));
    expect(hex(header.ratchetKey)).toBe(expected.ratchet.aliceRatchetPublic);
    const ad = concat(h(expected.x3dh.associatedData), encodeHeader(header));
    const payload = aeadDecrypt(
      h(expected.ratchet.sendingChain[0].messageKey),
      h(toPhone.nonce),
      h(toPhone.ciphertext),
      ad,
    );
    expect(hex(payload)).toBe(first.payload);
    expect(fromUtf8(decodePayload(payload).body)).toBe(inputs.conversation.steps[0].text);
  });
});

function makeDevice(
  userId: string,
  deviceId: string,
  keys: Json,
  random: (n: number) => Uint8Array,
) {
  const identity = new IdentityKeyPair(h(keys.identitySeed));
  const signed = [];
  if (keys.signedPreKeyPrivate) {
    const pair = DhKeyPair.fromPrivate(h(keys.signedPreKeyPrivate));
    signed.push({
      keyId: keys.signedPreKeyId,
      pair,
      signature: identity.sign(pair.publicKey),
      createdAt: 0,
    });
  }
  const oneTime = new Map<number, DhKeyPair>();
  if (keys.oneTimePreKeyPrivate) {
    oneTime.set(keys.oneTimePreKeyId, DhKeyPair.fromPrivate(h(keys.oneTimePreKeyPrivate)));
  }
  return new Device(
    userId,
    deviceId,
    new DeviceKeys(identity, signed, oneTime, 100),
    new SessionBook(),
    random,
  );
}

/** A bundle as the directory hands it out, through the API's JSON form. */
function bundleOf(device: Device, oneTimeId: number | undefined): DeviceBundle {
  const pair = oneTimeId === undefined ? null : device.keys.oneTimePreKeyPair(oneTimeId);
  const oneTime = new Map<number, DhKeyPair>();
  if (pair !== null && oneTimeId !== undefined) oneTime.set(oneTimeId, pair);
  const upload = device.keys.upload(device.deviceId, oneTime);
  return bundleFromApi({ ...upload, oneTimePreKey: upload.oneTimePreKeys[0] ?? null });
}

function partJson(part: ReturnType<typeof decodeEnvelope>["parts"][number]) {
  const p = part.preamble;
  return {
    userId: part.userId,
    deviceId: part.deviceId,
    preamble:
      p === null
        ? null
        : {
            identityKey: hex(p.identityKey),
            baseKey: hex(p.baseKey),
            signedPreKeyId: p.signedPreKeyId,
            oneTimePreKeyId: p.oneTimePreKeyId,
          },
    header: hex(encodeHeader(part.header)),
    nonce: hex(part.nonce),
    ciphertext: hex(part.ciphertext),
  };
}

describe("the conversation vector", () => {
  it("seals and opens every step byte for byte", async () => {
    const given = inputs.conversation;
    const randoms = Object.fromEntries(
      Object.entries(given.draws).map(([name, draws]) => [name, scripted(draws as string[])]),
    );
    const devices: Record<string, Device> = {};
    for (const [name, keys] of Object.entries(given.devices)) {
      const [user, device] = name.split("/") as [string, string];
      devices[name] = makeDevice(given.users[user], device, keys, randoms[name]?.random as never);
    }
    const sealed: Record<string, [string, Sealed]> = {};
    const messages: Record<string, Json> = {};
    for (const step of given.steps) {
      if (step.seal) {
        const sender = devices[step.by] as Device;
        const recipients: Recipient[] = step.to.map((name: string) => {
          const d = devices[name] as Device;
          const hasSession = sender.sessions.current([d.userId, d.deviceId]) !== null;
          return {
            userId: d.userId,
            deviceId: d.deviceId,
            bundle: hasSession ? null : bundleOf(d, given.devices[name].oneTimePreKeyId),
          };
        });
        const result = await sender.seal(given.room, CONTENT_TEXT, utf8(step.text), recipients);
        result.commit();
        sealed[step.seal] = [step.by, result];
        expect(hex(encodePayload(result.payload))).toBe(
          expected.conversation.messages[step.seal].payload,
        );
        messages[step.seal] = {
          frankingTag: hex(result.frankingTag),
          payload: hex(encodePayload(result.payload)),
          parts: decodeEnvelope(result.envelope).parts.map(partJson),
          envelope: b64(result.envelope),
          openedOn: {},
        };
      } else {
        const [by, result] = sealed[step.open] as [string, Sealed];
        const reader = devices[step.on] as Device;
        const sender = devices[by] as Device;
        const opened = await reader.open(
          sender.userId,
          given.room,
          decodeEnvelope(unb64(b64(result.envelope))),
          result.frankingTag,
          sender.keys.identity.publicKey,
        );
        opened.commit();
        messages[step.open].openedOn[step.on] = fromUtf8(opened.payload.body);
      }
    }
    expect(messages).toEqual(expected.conversation.messages);
    for (const r of Object.values(randoms)) expect(r.left()).toBe(0);

    const identities: Record<string, Uint8Array[]> = {};
    for (const d of Object.values(devices)) {
      identities[d.userId] = [...(identities[d.userId] ?? []), d.keys.identity.publicKey];
    }
    const alice = given.users.alice;
    const bob = given.users.bob;
    const number = await safetyNumber(alice, identities[alice] ?? [], bob, identities[bob] ?? []);
    expect({
      fingerprints: {
        [alice]: hex((await fingerprint(alice, identities[alice] ?? [])).slice(0, 32)),
        [bob]: hex((await fingerprint(bob, identities[bob] ?? [])).slice(0, 32)),
      },
      digits: number.digits,
      groups: number.groups,
      qrPayload: number.qrPayload,
    }).toEqual(expected.safetyNumber);
  });

  it("the franking vector", async () => {
    const tag = await commit(h(inputs.franking.key), h(inputs.franking.body));
    expect({ tag: hex(tag) }).toEqual(expected.franking);
  });
});
