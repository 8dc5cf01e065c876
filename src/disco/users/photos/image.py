"""Photo uploads: whatever arrives is decoded within limits and re-encoded from its pixels.

Re-encoding keeps nothing of the uploaded file but the image: EXIF (GPS position, camera serial
numbers), XMP, ICC profiles and comments are dropped, and a polyglot file loses its payload.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError

__all__ = ["ACCEPTED_FORMATS", "MAX_PIXELS", "MAX_SIDE", "InvalidPhoto", "reencode"]

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
# A 6000 x 4000 camera photo fits; a small file that claims more pixels is a decompression bomb.
MAX_PIXELS = 25_000_000
MAX_SIDE = 1600  # stored photos are at most this wide and high
QUALITY = 85

# Pillow's own guard, as a second line behind the size check below.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


class InvalidPhoto(Exception):
    pass


def reencode(data: bytes) -> bytes:
    """A clean JPEG of the uploaded image. Blocking and CPU-bound: run it in a thread."""
    try:
        # Reads the header only: the pixel count is checked before anything is decoded.
        with Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS) as image:
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise InvalidPhoto(f"The image is over {MAX_PIXELS:,} pixels.")
            image.load()
            upright = ImageOps.exif_transpose(image)
    except Image.DecompressionBombError as exc:
        raise InvalidPhoto(f"The image is over {MAX_PIXELS:,} pixels.") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidPhoto("The file is not a JPEG, PNG or WebP image.") from exc
    upright = upright.convert("RGB")
    upright.thumbnail((MAX_SIDE, MAX_SIDE))
    out = io.BytesIO()
    upright.save(out, "JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()
