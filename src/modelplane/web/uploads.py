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
        upload = form.get(FIELD)
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise UploadRefused(FieldError(FIELD, missing), 422)
        raw = await upload.read(limit + 1)
    finally:
        await form.close()
    if len(raw) > limit:
        message = f"the file is larger than the upload limit of {limit:,} bytes"
        raise UploadRefused(FieldError(FIELD, message), 413)
    return Upload(upload.filename, raw)


__all__ = ["Upload", "UploadRefused", "read_upload"]
