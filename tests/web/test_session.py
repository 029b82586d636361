"""The development secret key that every ``serve --workers N`` worker shares: made once,
whole, and never read half-written."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from modelplane.settings import Settings
from modelplane.web.session import MIN_KEY_LENGTH, MissingSecretKey, resolve_secret


@pytest.fixture
def key_file(data_home: Path) -> Path:
    return data_home / "secret-key"


def _development_key() -> bytes:
    return resolve_secret(Settings(environment="development"))


def test_racing_workers_all_get_the_one_whole_key(key_file: Path) -> None:
    barrier = threading.Barrier(16)
    keys: list[bytes] = []
    failures: list[BaseException] = []

    def worker() -> None:
        barrier.wait()
        try:
            keys.append(_development_key())
        except BaseException as exc:  # reported below, with the thread's error
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(set(keys)) == 1
    assert len(keys[0]) >= MIN_KEY_LENGTH
    assert key_file.read_bytes() == keys[0]
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in key_file.parent.iterdir()] == ["secret-key"]  # no leftovers


@pytest.mark.parametrize("content", [b"", b"\n", b"too-short"])
def test_an_empty_or_short_key_file_is_refused(key_file: Path, content: bytes) -> None:
    key_file.parent.mkdir(parents=True)
    key_file.write_bytes(content)
    with pytest.raises(MissingSecretKey, match="no usable console secret key"):
        _development_key()


def test_the_key_survives_a_restart(key_file: Path) -> None:
    assert _development_key() == _development_key()
