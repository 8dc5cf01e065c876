"""What services' internal endpoints answer: one model, declared as the serving endpoint's
response and parsed by the typed client in ``disco.clients``, so that neither side reads a
bare ``dict`` and a renamed field fails type-checking on both."""
