"""Emergency alerts: raised to every contact at once with a live link, a trail of positions,
and ended with the user's PIN (or, seemingly, with the duress PIN)."""
