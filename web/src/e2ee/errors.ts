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
