"""The public-key directory of end-to-end encryption: identity keys, signed prekeys and
one-time prekeys per device; handed only to people who share an open room."""
