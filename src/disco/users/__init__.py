"""The users service: profiles, preferences, emergency contacts, privacy zones, blocks, photos."""
