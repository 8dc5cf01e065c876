"""Notification dispatch: channels behind one ``Notifier`` protocol, durable and retried."""
