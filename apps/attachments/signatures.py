"""Does a file start the way its declared type says it must? (For the types that have a signature.)

Only the first bytes are read (a ranged GET on S3). Types without a signature (plain text, CSV)
pass: downloads are always `attachment` with `nosniff`, so a browser never renders them as HTML.
"""

OFFICE_TYPES = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
)
ZIP_LOCAL_FILE = b"PK\x03\x04"
ZIP_EMPTY_ARCHIVE = b"PK\x05\x06"

PREFIXES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/zip": (ZIP_LOCAL_FILE, ZIP_EMPTY_ARCHIVE),
    # docx/xlsx/pptx are ZIP containers; an empty archive can't be a valid office document.
    **dict.fromkeys(OFFICE_TYPES, (ZIP_LOCAL_FILE,)),
}

LEADING_BYTES = 16


def has_signature(content_type: str) -> bool:
    return content_type in PREFIXES or content_type == "image/webp"


def matches_declared_type(content_type: str, leading: bytes) -> bool:
    if content_type == "image/webp":
        return leading[:4] == b"RIFF" and leading[8:12] == b"WEBP"
    prefixes = PREFIXES.get(content_type)
    if prefixes is None:
        return True
    return leading.startswith(prefixes)
