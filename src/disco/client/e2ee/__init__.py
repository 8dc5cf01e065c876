"""End-to-end encryption of chat, the client's side: X3DH and the Double Ratchet per pair of
devices, one envelope per message for every device of both people, safety numbers and
message franking. ``docs/e2ee.md`` specifies the wire format; ``tests/vectors/e2ee.json`` holds
its test vectors."""

from disco.client.e2ee.directory import KeyChange
from disco.client.e2ee.errors import (
    AttachmentMismatch,
    DecryptionFailed,
    DuplicateMessage,
    E2eeError,
    FrankingMismatch,
    MalformedMessage,
    MessageTooLarge,
    NoDevices,
    NotForThisDevice,
    TooManySkippedMessages,
    UnknownPreKey,
    UntrustedKeys,
)
from disco.client.e2ee.fingerprint import SafetyNumber
from disco.client.e2ee.messages import DecryptedMessage, Undecryptable, report_body
from disco.client.e2ee.secure_chat import SecureChat
from disco.client.e2ee.store import JsonFileKeyStore, KeyStore, MemoryKeyStore

__all__ = [
    "AttachmentMismatch",
    "DecryptedMessage",
    "DecryptionFailed",
    "DuplicateMessage",
    "E2eeError",
    "FrankingMismatch",
    "JsonFileKeyStore",
    "KeyChange",
    "KeyStore",
    "MalformedMessage",
    "MemoryKeyStore",
    "MessageTooLarge",
    "NoDevices",
    "NotForThisDevice",
    "SafetyNumber",
    "SecureChat",
    "TooManySkippedMessages",
    "Undecryptable",
    "UnknownPreKey",
    "UntrustedKeys",
    "report_body",
]
