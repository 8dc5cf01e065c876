// One device's end-to-end encryption without a network (the Python SDK's device.py): it seals
// a message into an envelope for a set of devices, starting X3DH sessions where there are none,
// and opens the part of an envelope meant for it. The facade adds the server; the test vectors
// drive this directly.
//
// `seal` and `open` leave the device as it was; their `commit` keeps the new session states
// (and drops a used one-time prekey), called once the caller accepts the result.
//
// Draws, in this order (the vectors rely on it): sealing draws the franking key (32), then for
// each recipient in (user id, device id) order, if it comes with a bundle, an X3DH ephemeral key
// (32) and a first ratchet key (32), then the part's nonce (24). Opening draws one ratchet key
// (32) when the message turns the DH ratchet.

import {
  DecryptionFailed,
  FrankingMismatch,
  NotForThisDevice,
  UnknownPreKey,
  UntrustedKeys,
} from "./errors";
import { commit, newFrankingKey, opens } from "./franking";
import type { DeviceKeys } from "./prekeys";
import { compareBytes, DhKeyPair, equalBytes, NONCE_BYTES, type Random, utf8 } from "./primitives";
import { initiatorState, responderState } from "./ratchet";
import {
  copySession,
  type DeviceAddress,
  type Session,
  type SessionBook,
  sessionDecrypt,
  sessionEncrypt,
} from "./sessions";
import {
  decodePayload,
  type Envelope,
  encodeEnvelope,
  encodePayload,
  type Part,
  type Payload,
  partFor,
} from "./wire";
import { type DeviceBundle, initiate, respond } from "./x3dh";

export interface Recipient {
  userId: string;
  deviceId: string;
  bundle: DeviceBundle | null; // given: start a new session; null: use the current one
}

export interface Sealed {
  envelope: Uint8Array;
  frankingTag: Uint8Array;
  payload: Payload;
  commit: () => void;
}

export interface Opened {
  payload: Payload;
  senderDeviceId: string;
  startedSession: boolean; // a session start: a one-time prekey may have been used
  commit: () => void;
}

/** Python's order of (user id, device id) tuples: code points, i.e. UTF-8 bytes. */
export function compareAddresses(a: DeviceAddress, b: DeviceAddress): number {
  return compareBytes(utf8(a[0]), utf8(b[0])) || compareBytes(utf8(a[1]), utf8(b[1]));
}

export class Device {
  constructor(
    readonly userId: string,
    readonly deviceId: string,
    public keys: DeviceKeys, // replaced when another tab saved a newer state
    public sessions: SessionBook,
    private readonly random: Random,
  ) {}

  async seal(
    roomId: string,
    contentType: number,
    body: Uint8Array,
    recipients: Recipient[],
  ): Promise<Sealed> {
    const payload: Payload = {
      contentType,
      frankingKey: newFrankingKey(this.random),
      roomId,
      body,
    };
    const plaintext = encodePayload(payload);
    const parts: Part[] = [];
    const updates: [DeviceAddress, Session, Session | null][] = [];
    const ordered = [...recipients].sort((a, b) =>
      compareAddresses([a.userId, a.deviceId], [b.userId, b.deviceId]),
    );
    for (const recipient of ordered) {
      const address: DeviceAddress = [recipient.userId, recipient.deviceId];
      let session: Session;
      let replacing: Session | null = null;
      if (recipient.bundle !== null) {
        session = await this.start(recipient.bundle);
      } else {
        replacing = this.sessions.current(address);
        if (replacing === null) throw new Error(`no session with ${address.join("/")}`);
        session = copySession(replacing);
      }
      parts.push(await sessionEncrypt(session, address, plaintext, this.random(NONCE_BYTES)));
      updates.push([address, session, replacing]);
    }
    return {
      envelope: encodeEnvelope({ senderDeviceId: this.deviceId, parts }),
      frankingTag: await commit(payload.frankingKey, body),
      payload,
      commit: () => {
        for (const [address, session, replacing] of updates) {
          this.sessions.promote(address, session, replacing);
        }
      },
    };
  }

  /** A new session as X3DH's initiator, from the device's bundle (checked first). */
  private async start(bundle: DeviceBundle): Promise<Session> {
    const ephemeral = DhKeyPair.generate(this.random);
    const { agreement, preamble } = await initiate(this.keys.identity, bundle, ephemeral);
    const ratchet = await initiatorState(
      agreement.sharedSecret,
      bundle.signedPreKey,
      DhKeyPair.generate(this.random),
    );
    return {
      associatedData: agreement.associatedData,
      peerIdentity: bundle.identityKey,
      baseKey: ephemeral.publicKey,
      preamble,
      ratchet,
    };
  }

  /**
   * This device's part of `envelope`, decrypted and checked: sent to `roomId` and opening
   * `frankingTag`. `senderIdentity` is the identity key the directory lists for the sending
   * device; a session start from any other identity is refused.
   */
  async open(
    senderId: string,
    roomId: string,
    envelope: Envelope,
    frankingTag: Uint8Array,
    senderIdentity: Uint8Array | null,
  ): Promise<Opened> {
    const part = partFor(envelope, this.userId, this.deviceId);
    if (part === null) throw new NotForThisDevice("the message holds no part for this device");
    const address: DeviceAddress = [senderId, envelope.senderDeviceId];
    const { plaintext, commit: keep } =
      part.preamble === null
        ? await this.sessions.decrypt(address, part, this.random)
        : await this.openSessionStart(address, part, senderIdentity);
    const payload = decodePayload(plaintext);
    if (payload.roomId !== roomId)
      throw new DecryptionFailed("the message was sent to another chat");
    if (!(await opens(payload.frankingKey, payload.body, frankingTag))) {
      throw new FrankingMismatch("the message does not open its franking tag");
    }
    return {
      payload,
      senderDeviceId: envelope.senderDeviceId,
      startedSession: part.preamble !== null,
      commit: keep,
    };
  }

  private async openSessionStart(
    address: DeviceAddress,
    part: Part,
    senderIdentity: Uint8Array | null,
  ): Promise<{ plaintext: Uint8Array; commit: () => void }> {
    const preamble = part.preamble;
    if (preamble === null) throw new Error("not a session start");
    if (senderIdentity === null || !equalBytes(senderIdentity, preamble.identityKey)) {
      throw new UntrustedKeys("the session start is not from the identity the directory lists");
    }
    const known = this.sessions.startedBy(address, preamble.baseKey);
    if (known !== null) {
      // The same session start again: a later message sent before we answered.
      if (!equalBytes(known.peerIdentity, preamble.identityKey)) {
        throw new UntrustedKeys("another identity reused a session start");
      }
      const after = await sessionDecrypt(known, part, this.random);
      return {
        plaintext: after.plaintext,
        commit: () => this.sessions.promote(address, after.session, known),
      };
    }
    const signed = this.keys.signedPreKeyPair(preamble.signedPreKeyId);
    if (signed === null) throw new UnknownPreKey("the signed prekey it names is gone");
    let oneTime: DhKeyPair | null = null;
    if (preamble.oneTimePreKeyId !== null) {
      oneTime = this.keys.oneTimePreKeyPair(preamble.oneTimePreKeyId);
      if (oneTime === null)
        throw new UnknownPreKey("the one-time prekey it names was used already");
    }
    const agreement = await respond(this.keys.identity, signed, oneTime, preamble);
    const session: Session = {
      associatedData: agreement.associatedData,
      peerIdentity: preamble.identityKey,
      baseKey: preamble.baseKey,
      preamble: null,
      ratchet: responderState(agreement.sharedSecret, signed),
    };
    const after = await sessionDecrypt(session, part, this.random);
    return {
      plaintext: after.plaintext,
      commit: () => {
        this.sessions.promote(address, after.session, null);
        if (preamble.oneTimePreKeyId !== null) {
          this.keys.forgetOneTimePreKey(preamble.oneTimePreKeyId);
        }
      },
    };
  }
}
