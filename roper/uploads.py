"""Checking an uploaded file by what it is (its content), not what it is called."""

import filetype
from django.core.exceptions import ValidationError

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "image/heic"})
PDF_TYPES = frozenset({"application/pdf"})
DOCUMENT_TYPES = PDF_TYPES | {
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.oasis.opendocument.text",
}


def upload_check(*, upload, allowed: frozenset[str], max_bytes: int, kinds: str) -> str:
    """The file's real type, or a ValidationError that names the file and says why.
    `kinds` says in words what is allowed, e.g. "an image or a PDF"."""
    if not upload.size:
        raise ValidationError(f"{upload.name} is empty.")
    if upload.size > max_bytes:
        raise ValidationError(f"{upload.name} is larger than {max_bytes // (1024 * 1024)} MB.")
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    mime = kind.mime if kind else ""
    if mime not in allowed:
        raise ValidationError(f"{upload.name} is not {kinds}.")
    return mime
