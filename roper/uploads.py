"""Checking an uploaded file by what it is (its content), not what it is called, and serving
a stored file the same way."""

import filetype
from django.core.exceptions import ValidationError

IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "image/heic"})
PDF_TYPES = frozenset({"application/pdf"})
DOCUMENT_TYPES = PDF_TYPES | {
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.oasis.opendocument.text",
}


#: The extension a file of an allowed type is served under (never the uploader's).
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/heic": "heic",
    "application/pdf": "pdf",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.oasis.opendocument.text": "odt",
}
#: Anything else (a file stored before the checks, or changed on disk) is served as bytes.
UNKNOWN = ("application/octet-stream", "bin")


def served_type(file, *, allowed: frozenset[str]) -> tuple[str, str]:
    """(content type, extension) to serve an open stored file under, from its bytes: an
    allowed type as itself, anything else as opaque bytes. The name and the type recorded at
    upload are not trusted."""
    head = file.read(8192)
    file.seek(0)
    kind = filetype.guess(head)
    mime = kind.mime if kind else ""
    if mime in allowed and mime in EXTENSIONS:
        return mime, EXTENSIONS[mime]
    return UNKNOWN


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
