"""Photo re-encoding: only the pixels survive, within limits."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from disco.users.photos.image import MAX_SIDE, InvalidPhoto, reencode


def _encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def test_gps_and_camera_metadata_are_dropped_and_orientation_applied() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}
    upload = _encoded(Image.new("RGB", (400, 200), "red"), "JPEG", exif=exif.tobytes())
    clean = Image.open(io.BytesIO(reencode(upload)))
    assert clean.format == "JPEG"
    assert not clean.getexif()
    assert clean.size == (200, 400)


def test_big_photos_are_scaled_down_and_transparency_flattened() -> None:
    upload = _encoded(Image.new("RGBA", (4000, 1000), (0, 0, 0, 0)), "PNG")
    clean = Image.open(io.BytesIO(reencode(upload)))
    assert clean.size == (MAX_SIDE, MAX_SIDE // 4) and clean.mode == "RGB"


def test_webp_is_accepted() -> None:
    assert reencode(_encoded(Image.new("RGB", (50, 50)), "WEBP"))


@pytest.mark.parametrize(
    "upload",
    [
        b"",
        b"%PDF-1.7 not an image",
        _encoded(Image.new("RGB", (10, 10)), "GIF"),
        _encoded(Image.new("RGB", (10, 10)), "BMP"),
        _encoded(Image.new("RGB", (300, 300), "blue"), "PNG")[:120],
        _encoded(Image.new("1", (12_000, 12_000)), "PNG"),  # a decompression bomb
    ],
    ids=["empty", "pdf", "gif", "bmp", "truncated", "bomb"],
)
def test_what_is_not_a_sane_jpeg_png_or_webp_is_refused(upload: bytes) -> None:
    with pytest.raises(InvalidPhoto):
        reencode(upload)
