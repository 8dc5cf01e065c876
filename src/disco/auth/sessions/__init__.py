"""Sessions: sign-in (password, then two-factor), refresh-token families, sign-out, tokens."""
