"""The match service: live presence, proximity matching, nearby notifications, connections."""
