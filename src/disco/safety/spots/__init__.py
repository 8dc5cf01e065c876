"""Meeting spots: public places near the middle of both people's coarse cells, from venues
imported with ``disco venues import``."""
