"""Photo intake: type by content (magic bytes), decode, strip metadata, thumbnail.

The client's file name and declared content type are ignored. Every accepted image is decoded
and re-encoded without EXIF/XMP, which drops GPS location (and the camera serial) while the
orientation is applied to the pixels first. HEIC (iPhone default) becomes JPEG so every
browser can show it.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

register_heif_opener()
# A decompression bomb (a tiny file that decodes to gigapixels) is refused, not decoded.
Image.MAX_IMAGE_PIXELS = 50_000_000

HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
THUMBNAIL_EDGE = 320


class ImageRejected(ValueError):
    """The upload is not an acceptable image; the message is safe to show."""


@dataclass(frozen=True)
class CleanImage:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def sniff(data: bytes) -> str:
    """The real type of an upload from its first bytes: jpeg, png, webp or heic."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp" and data[8:12] in HEIF_BRANDS:
        return "heic"
    raise ImageRejected("the file is not a JPEG, PNG, HEIC or WebP image")


_OUTPUT = {
    "jpeg": ("JPEG", "image/jpeg", "jpg"),
    "heic": ("JPEG", "image/jpeg", "jpg"),
    "png": ("PNG", "image/png", "png"),
    "webp": ("WEBP", "image/webp", "webp"),
}


def _decode(data: bytes) -> Image.Image:
    try:
        with Image.open(BytesIO(data)) as opened:
            opened.load()
            image = ImageOps.exif_transpose(opened) or opened
            image.load()
    except Image.DecompressionBombError as error:
        raise ImageRejected("the image has too many pixels") from error
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ImageRejected("the image is damaged or truncated") from error
    # Drop every metadata block (EXIF, XMP, comments); keep only the colour profile.
    icc = image.info.get("icc_profile")
    image.info.clear()
    if icc:
        image.info["icc_profile"] = icc
    return image


def _encode(image: Image.Image, fmt: str) -> bytes:
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    buffer = BytesIO()
    options = {"quality": 88, "optimize": True} if fmt in ("JPEG", "WEBP") else {}
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def clean_photo(data: bytes) -> tuple[CleanImage, CleanImage]:
    """The photo re-encoded without metadata, and its JPEG thumbnail."""
    kind = sniff(data)
    image = _decode(data)
    fmt, content_type, extension = _OUTPUT[kind]
    photo = CleanImage(_encode(image, fmt), content_type, extension, *image.size)
    thumb = image.copy()
    thumb.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE))
    thumbnail = CleanImage(_encode(thumb, "JPEG"), "image/jpeg", "jpg", *thumb.size)
    return photo, thumbnail


def clean_signature(data: bytes) -> CleanImage:
    """A signature pad drawing: PNG only (what canvas.toDataURL produces), re-encoded."""
    if sniff(data) != "png":
        raise ImageRejected("the signature must be a PNG image")
    image = _decode(data)
    return CleanImage(_encode(image, "PNG"), "image/png", "png", *image.size)
