"""Reports of people, with the evidence their reporters chose to give, and what moderators do
about them."""
