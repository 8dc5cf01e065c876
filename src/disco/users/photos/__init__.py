"""Profile photos: re-encoded uploads (``image.py``) in a photo store (``storage.py``)."""
