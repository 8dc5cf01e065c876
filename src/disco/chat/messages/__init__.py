"""Messages: sending (numbered per room, idempotent), history and catch-up, receipts, typing."""
