"""Check-ins: a meetup's "I am fine" deadline, a reminder before it, escalation to the contacts
after its grace, a dead-man's switch while it runs; all on a durable scheduler."""
