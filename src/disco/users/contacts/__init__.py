"""Emergency contacts: added by a user, confirmed by the contact from a mailed link."""
