// Sessions between this device and each peer device (docs/e2ee.md §5; the Python SDK's
// sessions.py): up to five per device pair, the current one first. A part without a preamble
// is tried in the current session, then the others; the one that works becomes current.

import { DecryptionFailed, DuplicateMessage, TooManySkippedMessages } from "./errors";
import { b64, equalBytes, type Random, unb64 } from "./primitives";
import {
  copyState,
  type RatchetJson,
  type RatchetState,
  ratchetDecrypt,
  ratchetEncrypt,
  ratchetFromJson,
  ratchetToJson,
} from "./ratchet";
import { decodePreamble, encodePreamble, type Part, type Preamble } from "./wire";

export const MAX_SESSIONS_PER_DEVICE = 5;

/** A peer device: (user id, device id). */
export type DeviceAddress = readonly [userId: string, deviceId: string];

const addressKey = (a: DeviceAddress): string => JSON.stringify(a);

export interface Session {
  associatedData: Uint8Array; // X3DH's AD
  peerIdentity: Uint8Array;
  baseKey: Uint8Array; // the initiator's ephemeral key: names this session start
  preamble: Preamble | null; // sent along until the peer answers (initiator only)
  ratchet: RatchetState;
}

export function copySession(s: Session): Session {
  return { ...s, ratchet: copyState(s.ratchet) };
}

/** Encrypts in place (the caller works on a copy it keeps only on success). */
export async function sessionEncrypt(
  session: Session,
  address: DeviceAddress,
  payload: Uint8Array,
  nonce: Uint8Array,
): Promise<Part> {
  const { header, ciphertext } = await ratchetEncrypt(
    session.ratchet,
    payload,
    session.associatedData,
    nonce,
  );
  return {
    userId: address[0],
    deviceId: address[1],
    preamble: session.preamble,
    header,
    nonce,
    ciphertext,
  };
}

/** The session after `part` and the plaintext; `session` unchanged. */
export async function sessionDecrypt(
  session: Session,
  part: Part,
  random: Random,
): Promise<{ session: Session; plaintext: Uint8Array }> {
  const { state, plaintext } = await ratchetDecrypt(
    session.ratchet,
    part.header,
    part.nonce,
    part.ciphertext,
    session.associatedData,
    random,
  );
  // Anything received in this session proves the peer has it: stop sending the preamble.
  return { session: { ...session, preamble: null, ratchet: state }, plaintext };
}

export interface SessionJson {
  associatedData: string;
  peerIdentity: string;
  baseKey: string;
  preamble: string | null;
  ratchet: RatchetJson;
}

function sessionToJson(s: Session): SessionJson {
  return {
    associatedData: b64(s.associatedData),
    peerIdentity: b64(s.peerIdentity),
    baseKey: b64(s.baseKey),
    preamble: s.preamble === null ? null : b64(encodePreamble(s.preamble)),
    ratchet: ratchetToJson(s.ratchet),
  };
}

function sessionFromJson(d: SessionJson): Session {
  return {
    associatedData: unb64(d.associatedData),
    peerIdentity: unb64(d.peerIdentity),
    baseKey: unb64(d.baseKey),
    preamble: d.preamble === null ? null : decodePreamble(unb64(d.preamble)),
    ratchet: ratchetFromJson(d.ratchet),
  };
}

export type SessionBookJson = { userId: string; deviceId: string; sessions: SessionJson[] }[];

/** Every session of this device, by peer device; current first. */
export class SessionBook {
  private readonly book = new Map<string, { address: DeviceAddress; sessions: Session[] }>();

  current(address: DeviceAddress): Session | null {
    return this.book.get(addressKey(address))?.sessions[0] ?? null;
  }

  startedBy(address: DeviceAddress, baseKey: Uint8Array): Session | null {
    const entry = this.book.get(addressKey(address));
    return entry?.sessions.find((s) => equalBytes(s.baseKey, baseKey)) ?? null;
  }

  /** Make `session` current, in place of `replacing` (its earlier state) if given. */
  promote(address: DeviceAddress, session: Session, replacing: Session | null): void {
    const others = (this.book.get(addressKey(address))?.sessions ?? []).filter(
      (s) => s !== replacing,
    );
    this.book.set(addressKey(address), {
      address,
      sessions: [session, ...others].slice(0, MAX_SESSIONS_PER_DEVICE),
    });
  }

  forget(address: DeviceAddress): void {
    this.book.delete(addressKey(address));
  }

  count(address: DeviceAddress): number {
    return this.book.get(addressKey(address))?.sessions.length ?? 0;
  }

  /**
   * The plaintext of a part without a preamble and the commit that keeps the new session
   * state (called once the message passed every check). Current session first.
   */
  async decrypt(
    address: DeviceAddress,
    part: Part,
    random: Random,
  ): Promise<{ plaintext: Uint8Array; commit: () => void }> {
    const failures: DecryptionFailed[] = [];
    for (const session of this.book.get(addressKey(address))?.sessions ?? []) {
      try {
        const after = await sessionDecrypt(session, part, random);
        return {
          plaintext: after.plaintext,
          commit: () => this.promote(address, after.session, session),
        };
      } catch (error) {
        if (!(error instanceof DecryptionFailed)) throw error;
        failures.push(error);
      }
    }
    // The most telling reason: a replay, then a counter too far ahead, then any.
    const telling =
      failures.find((f) => f instanceof DuplicateMessage) ??
      failures.find((f) => f instanceof TooManySkippedMessages);
    throw telling ?? new DecryptionFailed("no session with this device decrypts the message");
  }

  toJson(): SessionBookJson {
    return [...this.book.values()].map(({ address, sessions }) => ({
      userId: address[0],
      deviceId: address[1],
      sessions: sessions.map(sessionToJson),
    }));
  }

  static fromJson(data: SessionBookJson): SessionBook {
    const book = new SessionBook();
    for (const entry of data) {
      const address: DeviceAddress = [entry.userId, entry.deviceId];
      book.book.set(addressKey(address), {
        address,
        sessions: entry.sessions.map(sessionFromJson),
      });
    }
    return book;
  }
}
