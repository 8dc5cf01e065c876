// What can go wrong in end-to-end encryption, as one family (the Python SDK's errors.py):
// the facade turns each into a readable reason and never shows garbage.

export class E2eeError extends Error {
  override name = "E2eeError";
}
/** Bytes that are not a well-formed envelope, part or payload of this version. */
export class MalformedMessage extends E2eeError {
  override name = "MalformedMessage";
}
/** No session could authenticate the message: tampered, forged, or for another session. */
export class DecryptionFailed extends E2eeError {
  override name = "DecryptionFailed";
}
/** A message whose key was already used and deleted (a replay, or read twice). */
export class DuplicateMessage extends DecryptionFailed {
  override name = "DuplicateMessage";
}
/** A header claims more skipped messages than a session keeps keys for. */
export class TooManySkippedMessages extends DecryptionFailed {
  override name = "TooManySkippedMessages";
}
/** A session start names a prekey this device does not hold (used already, or expired). */
export class UnknownPreKey extends DecryptionFailed {
  override name = "UnknownPreKey";
}
/** The envelope holds no part for this device (sent before it was added, or by itself). */
export class NotForThisDevice extends E2eeError {
  override name = "NotForThisDevice";
}
/** A bundle or a sender identity that does not check out. */
export class UntrustedKeys extends E2eeError {
  override name = "UntrustedKeys";
}
/** The decrypted message does not open its franking tag: refused, since it could not be proven. */
export class FrankingMismatch extends E2eeError {
  override name = "FrankingMismatch";
}
/** The peer has no device with keys yet: there is nobody to encrypt for. */
export class NoDevices extends E2eeError {
  override name = "NoDevices";
}
/** The envelope would exceed what the server accepts. */
export class MessageTooLarge extends E2eeError {
  override name = "MessageTooLarge";
}

/** A sentence for a person, for each way a message can fail to open. */
export function reasonOf(error: unknown): string {
  if (error instanceof DuplicateMessage) {
    return "This message was already read on this device; its key is gone, so it cannot be opened again.";
  }
  if (error instanceof UnknownPreKey) {
    return "This message starts a secure session with keys this device no longer has.";
  }
  if (error instanceof TooManySkippedMessages) {
    return "Too many messages were lost before this one to open it.";
  }
  if (error instanceof DecryptionFailed) {
    return "This message could not be decrypted: it was damaged, altered or not meant for this chat.";
  }
  if (error instanceof NotForThisDevice) {
    return "This message was sent before this device was set up for secure chat, or from this device before it was reloaded.";
  }
  if (error instanceof UntrustedKeys) {
    return "This message comes from a device whose keys do not match what the server lists.";
  }
  if (error instanceof FrankingMismatch) {
    return "This message was refused: it carries no valid proof for reporting.";
  }
  if (error instanceof MalformedMessage)
    return "This message is not in a format this app can read.";
  if (error instanceof E2eeError) return error.message;
  return "This message could not be decrypted.";
}
