"""The chat service: a room per match, end-to-end encrypted messages the server stores and
relays as ciphertext, receipts, typing, presence, attachments, and expiry."""
