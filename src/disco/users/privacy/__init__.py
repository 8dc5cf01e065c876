"""Privacy zones (discovery off inside them) and blocks (absolute, both ways)."""
