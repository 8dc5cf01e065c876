"""The safety service: emergency alerts, check-ins, reports, ratings, meeting spots, and the
dispatch of every notification (email, SMS, push, in-app)."""
