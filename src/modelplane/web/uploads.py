"""Reading a file a console form uploads: there is one, and it is within the size limit.

The import page and the playground's replay both take an upload; both read it here, so the
two answer a missing or oversized file the same way (a field error on ``file``, 422 or 413).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import FormData, UploadFile

from modelplane.domain.errors import FieldError

FIELD = "file"


@dataclass(frozen=True)
class Upload:
    filename: str
    raw: bytes


class UploadRefused(Exception):
    """No file was chosen, or it is too large: the error to show and the answer's status."""

    def __init__(self, error: FieldError, status: int) -> None:
        super().__init__(error.message)
        self.error = error
        self.status = status


async def read_upload(form: FormData, limit: int, missing: str) -> Upload:
    """The file in the form's ``file`` field, read to at most ``limit`` bytes; the form is
    closed (its spooled files removed) whatever happens. ``missing`` is what to say when no
    file was chosen."""
    try:
        upload = await read_optional_upload(form, FIELD, limit)
        if upload is None:
            raise UploadRefused(FieldError(FIELD, missing), 422)
    finally:
        await form.close()
    return upload


async def read_optional_upload(form: FormData, field: str, limit: int) -> Upload | None:
    """The file in the form's ``field``, if one was chosen, read to at most ``limit`` bytes
    (``UploadRefused`` on ``field`` beyond it). Leaves the form open: a form with two files
    reads the optional one first."""
    upload = form.get(field)
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    raw = await upload.read(limit + 1)
    if len(raw) > limit:
        message = f"the file is larger than the upload limit of {limit:,} bytes"
        raise UploadRefused(FieldError(field, message), 413)
    return Upload(upload.filename, raw)


__all__ = ["Upload", "UploadRefused", "read_optional_upload", "read_upload"]
