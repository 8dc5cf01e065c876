"""Two-factor sign-in: TOTP secrets and codes, recovery codes, turning it on and off."""
