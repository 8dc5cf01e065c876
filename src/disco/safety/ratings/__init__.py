"""Ratings of a meetup by the people who had it, and the trust score moderators read of them."""
