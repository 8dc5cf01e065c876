"""Accounts: sign-up, the account itself, email verification and password reset, the data export."""
