// X3DH key agreement (docs/e2ee.md §3; the Python SDK's x3dh.py), with Ed25519 identity keys
// used for Diffie-Hellman through libsodium's conversion to X25519.

import { MalformedMessage } from "./errors";
import {
  concat,
  type DhKeyPair,
  dh,
  hkdfSha256,
  type IdentityKeyPair,
  identityPublicToX25519,
  KEY_BYTES,
  SIGNATURE_BYTES,
  unb64,
  utf8,
  verifySignature,
} from "./primitives";
import type { Preamble } from "./wire";

export const X3DH_INFO = utf8("Disco X3DH v1");
const F = new Uint8Array(32).fill(0xff); // keeps the KDF input apart from other protocols'

/** One device of a `GET /v1/keys/{userId}` answer, decoded. */
export interface DeviceBundle {
  deviceId: string;
  identityKey: Uint8Array;
  signedPreKeyId: number;
  signedPreKey: Uint8Array;
  signedPreKeySignature: Uint8Array;
  oneTimePreKeyId: number | null;
  oneTimePreKey: Uint8Array | null;
}

function keyId(value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new MalformedMessage("not a key id");
  }
  return value;
}

export function bundleFromApi(device: unknown): DeviceBundle {
  if (typeof device !== "object" || device === null) {
    throw new MalformedMessage("not a device key bundle");
  }
  const d = device as Record<string, unknown>;
  const signed = d.signedPreKey as Record<string, unknown> | undefined;
  const oneTime = d.oneTimePreKey as Record<string, unknown> | null | undefined;
  if (typeof d.deviceId !== "string" || typeof signed !== "object" || signed === null) {
    throw new MalformedMessage("not a device key bundle");
  }
  const hasOneTime = oneTime !== null && oneTime !== undefined;
  return {
    deviceId: d.deviceId,
    identityKey: unb64(d.identityKey, KEY_BYTES),
    signedPreKeyId: keyId(signed.keyId),
    signedPreKey: unb64(signed.publicKey, KEY_BYTES),
    signedPreKeySignature: unb64(signed.signature, SIGNATURE_BYTES),
    oneTimePreKeyId: hasOneTime ? keyId(oneTime.keyId) : null,
    oneTimePreKey: hasOneTime ? unb64(oneTime.publicKey, KEY_BYTES) : null,
  };
}

/** UntrustedKeys unless the identity key is a valid point and signed the signed prekey. */
export function verifyBundle(bundle: DeviceBundle): void {
  identityPublicToX25519(bundle.identityKey);
  verifySignature(bundle.identityKey, bundle.signedPreKey, bundle.signedPreKeySignature);
}

export function withoutOneTimePreKey(bundle: DeviceBundle): DeviceBundle {
  return { ...bundle, oneTimePreKeyId: null, oneTimePreKey: null };
}

export interface Agreement {
  sharedSecret: Uint8Array; // SK: the Double Ratchet's first root key
  associatedData: Uint8Array; // AD = IK_A || IK_B
}

function derive(secrets: Uint8Array[]): Promise<Uint8Array> {
  return hkdfSha256(concat(F, ...secrets), new Uint8Array(32), X3DH_INFO, KEY_BYTES);
}

/** Alice's side: the shared secret, and the preamble Bob needs to compute it too. */
export async function initiate(
  identity: IdentityKeyPair,
  bundle: DeviceBundle,
  ephemeral: DhKeyPair,
): Promise<{ agreement: Agreement; preamble: Preamble }> {
  verifyBundle(bundle);
  const secrets = [
    dh(identity.dhPair(), bundle.signedPreKey),
    dh(ephemeral, identityPublicToX25519(bundle.identityKey)),
    dh(ephemeral, bundle.signedPreKey),
  ];
  if (bundle.oneTimePreKey !== null) secrets.push(dh(ephemeral, bundle.oneTimePreKey));
  return {
    agreement: {
      sharedSecret: await derive(secrets),
      associatedData: concat(identity.publicKey, bundle.identityKey),
    },
    preamble: {
      identityKey: identity.publicKey,
      baseKey: ephemeral.publicKey,
      signedPreKeyId: bundle.signedPreKeyId,
      oneTimePreKeyId: bundle.oneTimePreKeyId,
    },
  };
}

/** Bob's side, from his private keys and Alice's preamble. */
export async function respond(
  identity: IdentityKeyPair,
  signedPreKey: DhKeyPair,
  oneTimePreKey: DhKeyPair | null,
  preamble: Preamble,
): Promise<Agreement> {
  const initiator = identityPublicToX25519(preamble.identityKey);
  const secrets = [
    dh(signedPreKey, initiator),
    dh(identity.dhPair(), preamble.baseKey),
    dh(signedPreKey, preamble.baseKey),
  ];
  if (oneTimePreKey !== null) secrets.push(dh(oneTimePreKey, preamble.baseKey));
  return {
    sharedSecret: await derive(secrets),
    associatedData: concat(preamble.identityKey, identity.publicKey),
  };
}
