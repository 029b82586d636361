"""The sign-in limiter on its own: an injected clock, no database and no sleeping."""

from __future__ import annotations

import contextlib
import logging
import threading
from datetime import UTC, datetime

import pytest

from modelplane.services.users import SignIn, SignInLimiter, SignInLocked, User

WINDOW = SignInLimiter.WINDOW


class Clock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Checks:
    """A stand-in password check that counts its calls and answers as told."""

    def __init__(self) -> None:
        self.calls = 0

    def wrong(self) -> SignIn | None:
        self.calls += 1
        return None

    def right(self) -> SignIn | None:
        self.calls += 1
        user = User("alice", "viewer", datetime.now(UTC), "test", False)
        return SignIn(user, "$argon2id$stored", None)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limiter(clock: Clock) -> SignInLimiter:
    return SignInLimiter(now=clock)


def fail(limiter: SignInLimiter, username: str, address: str, times: int = 1) -> None:
    for _ in range(times):
        assert limiter.attempt(username, address, Checks().wrong) is None


def locked_for(limiter: SignInLimiter, username: str, address: str) -> int | None:
    """Seconds to wait if the attempt is refused, None if it was let through."""
    try:
        limiter.attempt(username, address, Checks().wrong)
    except SignInLocked as exc:
        return exc.retry_after
    return None


def test_five_failures_for_a_username_any_case_lock_it_without_checking(
    limiter: SignInLimiter,
) -> None:
    for i, name in enumerate(["alice", "Alice", "ALICE", " alice ", "aLiCe"]):
        fail(limiter, name, f"10.0.0.{i}")
    checks = Checks()
    with pytest.raises(SignInLocked) as refused:
        limiter.attempt("alice", "10.0.1.1", checks.right)
    assert refused.value.retry_after == 30
    assert checks.calls == 0, "a locked-out attempt must cost no password check"


def test_four_failures_do_not_lock(limiter: SignInLimiter) -> None:
    for i in range(4):
        fail(limiter, "alice", f"10.0.0.{i}")
    assert limiter.attempt("alice", "10.0.0.9", Checks().right) is not None


def test_five_failures_from_one_address_lock_it_across_usernames(limiter: SignInLimiter) -> None:
    for i in range(5):
        fail(limiter, f"user-{i}", "192.0.2.7")
    assert locked_for(limiter, "someone-else", "192.0.2.7") == 30
    assert locked_for(limiter, "someone-else", "192.0.2.8") is None


def test_failures_more_than_the_window_apart_do_not_lock(
    limiter: SignInLimiter, clock: Clock
) -> None:
    fail(limiter, "alice", "10.0.0.1")
    clock.advance(WINDOW / 2)
    fail(limiter, "alice", "10.0.0.2", times=3)
    clock.advance(WINDOW / 2 + 1)  # the first failure is now older than the window
    fail(limiter, "alice", "10.0.0.3")
    assert locked_for(limiter, "alice", "10.0.0.4") is None


def test_the_right_password_is_accepted_once_the_lockout_ends(
    limiter: SignInLimiter, clock: Clock
) -> None:
    fail(limiter, "alice", "10.0.0.1", times=5)
    clock.advance(29)
    with pytest.raises(SignInLocked) as refused:
        limiter.attempt("alice", "10.0.0.1", Checks().right)
    assert refused.value.retry_after == 1
    clock.advance(1)
    assert limiter.attempt("alice", "10.0.0.1", Checks().right) is not None


def test_each_further_failure_doubles_the_lockout_up_to_fifteen_minutes(
    limiter: SignInLimiter, clock: Clock
) -> None:
    fail(limiter, "alice", "10.0.0.1", times=5)
    lockouts = []
    for _ in range(7):
        wait = locked_for(limiter, "alice", "10.0.0.1")
        assert wait is not None
        lockouts.append(wait)
        clock.advance(wait)
        fail(limiter, "alice", "10.0.0.1")  # the one further failure: a longer lockout
    assert lockouts == [30, 60, 120, 240, 480, 900, 900]


def test_a_key_quiet_for_the_window_after_its_lockout_starts_afresh(
    limiter: SignInLimiter, clock: Clock
) -> None:
    fail(limiter, "alice", "10.0.0.1", times=5)
    clock.advance(30 + WINDOW)
    fail(limiter, "alice", "10.0.0.1")
    assert locked_for(limiter, "alice", "10.0.0.1") is None
    assert len(limiter) == 2


def test_a_success_clears_the_usernames_strikes_but_not_the_addresss(
    limiter: SignInLimiter,
) -> None:
    for i in range(4):
        fail(limiter, "alice", f"10.0.0.{i}")
    fail(limiter, "mallory", "192.0.2.1", times=4)
    assert limiter.attempt("alice", "10.0.0.9", Checks().right) is not None
    assert limiter.attempt("mallory", "192.0.2.1", Checks().right) is not None
    for i in range(4):
        fail(limiter, "alice", f"10.0.1.{i}")
    assert locked_for(limiter, "alice", "10.0.2.1") is None  # 4 strikes since the success
    fail(limiter, "mallory2", "192.0.2.1")  # the address's fifth
    assert locked_for(limiter, "anyone", "192.0.2.1") == 30


def test_expired_keys_are_forgotten(limiter: SignInLimiter, clock: Clock) -> None:
    for i in range(50):
        fail(limiter, f"user-{i}", f"10.0.0.{i}")
    assert len(limiter) == 100
    clock.advance(WINDOW)
    fail(limiter, "late", "10.9.9.9")
    assert len(limiter) == 2


def test_the_table_is_capped_and_the_least_recently_failed_go_first(clock: Clock) -> None:
    limiter = SignInLimiter(now=clock, max_keys=10)
    fail(limiter, "alice", "10.0.0.1", times=4)
    for i in range(20):
        fail(limiter, f"user-{i}", f"10.1.0.{i}")
        assert len(limiter) <= 10
    fail(limiter, "alice", "10.0.0.1")  # alice's four earlier strikes were evicted
    assert locked_for(limiter, "alice", "10.0.0.2") is None
    fail(limiter, "user-19", "10.2.0.1", times=4)  # still held: this makes five
    assert locked_for(limiter, "user-19", "10.2.0.2") == 30


def test_a_tiny_table_is_refused() -> None:
    with pytest.raises(ValueError, match="max_keys"):
        SignInLimiter(max_keys=1)


def test_a_lockout_is_logged_once_with_username_and_address(
    limiter: SignInLimiter, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="modelplane.services.users"):
        fail(limiter, "alice", "192.0.2.7", times=5)
        for _ in range(3):
            assert locked_for(limiter, "alice", "192.0.2.7") == 30
    assert len(caplog.records) == 1
    message = caplog.records[0].getMessage()
    assert "'alice'" in message and "192.0.2.7" in message and "30 s" in message


def test_concurrent_failures_keep_the_table_consistent(clock: Clock) -> None:
    limiter = SignInLimiter(now=clock, max_keys=500)

    def hammer(thread: int) -> None:
        for i in range(300):
            with contextlib.suppress(SignInLocked):
                fail(limiter, f"user-{thread}-{i % 40}", f"10.{thread}.0.{i % 7}")

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 0 < len(limiter) <= 500
