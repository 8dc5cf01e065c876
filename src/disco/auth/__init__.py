"""The auth service: credentials, sessions and refresh families, signing keys, OIDC, 2FA."""
