"""The cooperative's photo on its public pages: checked by what the bytes are (not the file
name), re-encoded so no camera metadata (EXIF: GPS position, device, owner) ever leaves, and
kept small. Pure functions from bytes to bytes (DESIGN.md §3)."""

import hashlib
import io
import warnings

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from coopchain.errors import DomainError

#: Uploads above this are refused (the form says so).
MAX_PHOTO_BYTES = 1024 * 1024
#: Formats accepted, as Pillow names them after reading the bytes.
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
#: Longest side of the stored photo: sharp on a phone, a fraction of the upload's bytes.
MAX_SIDE_PX = 1200
#: A 1 MB file may still declare a huge canvas (a decompression bomb): refused above this.
MAX_PIXELS = 40_000_000
JPEG_QUALITY = 82


class InvalidPhoto(DomainError):
    code = "invalid_photo"
    status = 422

    def __init__(self, message: str):
        super().__init__(message, {"photo": [message]})


def photo_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def photo_size(data: bytes) -> tuple[int, int]:
    """Width and height of a stored photo (read from its header only)."""
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def clean_photo(data: bytes) -> bytes:
    """The upload as a JPEG without metadata, at most MAX_SIDE_PX on its longest side.
    Raises InvalidPhoto naming the reason (too large, not an image, another format)."""
    if not data:
        raise InvalidPhoto(str(_l("Choose a photo to upload.")))
    if len(data) > MAX_PHOTO_BYTES:
        raise InvalidPhoto(str(_l("The photo is larger than 1 MB.")))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                kind = probe.format
                if probe.width * probe.height > MAX_PIXELS:
                    raise InvalidPhoto(str(_l("The photo has too many pixels.")))
                probe.verify()  # a truncated or corrupt file fails here
            if kind not in ACCEPTED_FORMATS:
                raise InvalidPhoto(str(_l("The photo must be a JPEG, PNG or WebP image.")))
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                # The camera's rotation is applied to the pixels before its tag is dropped.
                upright = ImageOps.exif_transpose(image)
                rgb = _on_white(upright)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidPhoto(str(_l("The file is not a JPEG, PNG or WebP image."))) from None
    except (OSError, ValueError, SyntaxError):
        raise InvalidPhoto(str(_l("The image file is damaged or incomplete."))) from None
    rgb.thumbnail((MAX_SIDE_PX, MAX_SIDE_PX))
    out = io.BytesIO()
    # A fresh image carries no info dict: nothing of the original's EXIF, XMP or ICC is written.
    rgb.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return out.getvalue()


def _on_white(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        return background
    fresh = Image.new("RGB", image.size)
    fresh.paste(image.convert("RGB"))
    return fresh
