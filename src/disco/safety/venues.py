"""Where ``disco venues import`` finds the venue file reader: it lives with meeting spots now
(``spots/venues.py``); ``cli.py`` imports it from here until it names that module itself."""

from disco.safety.spots.venues import VenueFileError, parse_venues, read_venues, store_venues

__all__ = ["VenueFileError", "parse_venues", "read_venues", "store_venues"]
