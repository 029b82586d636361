"""Uploaded imports waiting between their preview and "apply".

They live in the user data directory (beside the development database), never in the shared
temporary directory: in a directory only this user may enter (0o700), each under a random
name that only the session which uploaded it is told. A preview older than ``MAX_AGE`` has
expired; expired ones are deleted whenever a new one is staged.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

MAX_AGE_SECONDS = 3600


def stage(owner: str, data: Any) -> str:
    """Keep ``data`` for ``owner`` (a digest of the session) and return its stage id."""
    root = _root()
    _sweep(root)
    stage_id = secrets.token_hex(16)
    path = root / f"{owner}-{stage_id}.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        json.dump(data, file)
    return stage_id


def staged(owner: str, stage_id: str) -> Any | None:
    """The data ``owner`` staged as ``stage_id``; None when unknown or expired."""
    path = _path(owner, stage_id)
    if path is None or _expired(path):
        return None
    try:
        return json.loads(path.read_bytes())
    except FileNotFoundError:
        return None


def discard(owner: str, stage_id: str) -> None:
    path = _path(owner, stage_id)
    if path is not None:
        path.unlink(missing_ok=True)


def _root() -> Path:
    root = Path(user_data_dir("modelplane", appauthor=False)) / "import-previews"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    root.chmod(0o700)  # also when an older version made it with the default mode
    return root


def _path(owner: str, stage_id: str) -> Path | None:
    if not (owner.isalnum() and stage_id.isalnum()):
        return None
    return _root() / f"{owner}-{stage_id}.json"


def _expired(path: Path) -> bool:
    try:
        return time.time() - path.stat().st_mtime > MAX_AGE_SECONDS
    except FileNotFoundError:
        return True


def _sweep(root: Path) -> None:
    for path in root.glob("*.json"):
        if _expired(path):
            path.unlink(missing_ok=True)


__all__ = ["MAX_AGE_SECONDS", "discard", "stage", "staged"]
