"""What can go wrong in end-to-end encryption, as one family: an app catches ``E2eeError``
and shows "this message could not be decrypted" without ever showing garbage."""

from __future__ import annotations

__all__ = [
    "AttachmentMismatch",
    "DecryptionFailed",
    "DuplicateMessage",
    "E2eeError",
    "FrankingMismatch",
    "MalformedMessage",
    "MessageTooLarge",
    "NoDevices",
    "NotForThisDevice",
    "TooManySkippedMessages",
    "UnknownPreKey",
    "UntrustedKeys",
]


class E2eeError(Exception):
    """Any end-to-end encryption failure."""


class MalformedMessage(E2eeError):
    """Bytes that are not a well-formed envelope, part or payload of this version."""


class DecryptionFailed(E2eeError):
    """No session could authenticate the message: tampered, forged, or for another session."""


class DuplicateMessage(DecryptionFailed):
    """A message whose key was already used and deleted (a replay, or the same message read
    twice): forward secrecy means it cannot be decrypted again."""


class TooManySkippedMessages(DecryptionFailed):
    """A header claims more skipped messages than a session keeps keys for."""


class NotForThisDevice(E2eeError):
    """The envelope holds no part for this device (sent before it was added, or by itself)."""


class UnknownPreKey(DecryptionFailed):
    """A session start names a prekey this device does not hold (used already, or expired)."""


class UntrustedKeys(E2eeError):
    """A key bundle or a sender's identity that does not check out: a bad signature, or an
    identity key that is not the one the directory lists for that device."""


class FrankingMismatch(E2eeError):
    """The decrypted message does not open its franking tag: it could not be reported, so it
    is refused, as an abuser could otherwise send messages nobody can prove."""


class NoDevices(E2eeError):
    """The peer has no device with keys yet: there is nobody to encrypt for."""


class MessageTooLarge(E2eeError):
    """The envelope would exceed what the server accepts."""


class AttachmentMismatch(E2eeError):
    """The bytes downloaded for an attachment are not the ones its message names (another
    upload, or changed), or do not decrypt under its key."""
