"""The people safety protects, as safety knows them without asking anyone (their confirmed
emergency contacts, first names, phones and matches), and how they are told things."""
