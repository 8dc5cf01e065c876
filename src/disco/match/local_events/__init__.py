"""Local events: public gatherings at a place, found nearby, joined up to their capacity."""
