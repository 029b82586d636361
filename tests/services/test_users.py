"""The sign-in limiter over a real database (both backends): an injected clock, no
sleeping. Its counts live in the database, so two limiters on one database (two
processes) see each other's failures."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

import pytest

from modelplane.bootstrap import Runtime
from modelplane.services.sign_in import SignInLimiter, SignInLocked
from modelplane.services.users import SignIn, User

WINDOW = SignInLimiter.WINDOW


class Clock:
    """A wall clock that moves only when told."""

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
def limiter(runtime: Runtime, clock: Clock) -> SignInLimiter:
    return SignInLimiter(runtime.unit_of_work, now=clock)


def fail(limiter: SignInLimiter, username: str, address: str, times: int = 1) -> None:
    for _ in range(times):
        assert limiter.attempt(username, address, Checks().wrong) is None


def locked_for(limiter: SignInLimiter, username: str, address: str) -> int | None:
    """Seconds to wait if the attempt is refused, None if it was let through."""
    try:
        limiter.attempt(username, address, Checks().wrong)
    except SignInLocked as exc:
        return int(exc.retry_after)
    return None


def test_five_failures_for_a_username_any_case_delay_it_briefly_without_checking(
    limiter: SignInLimiter,
) -> None:
    for i, name in enumerate(["alice", "Alice", "ALICE", " alice ", "aLiCe"]):
        fail(limiter, name, f"10.0.0.{i}")
    checks = Checks()
    with pytest.raises(SignInLocked) as refused:
        limiter.attempt("alice", "10.0.1.1", checks.right)
    assert refused.value.retry_after == SignInLimiter.USERNAME_DELAY == 5
    assert checks.calls == 0, "a held-up attempt must cost no password check"


def test_others_failures_from_elsewhere_never_lock_a_username_beyond_the_short_delay(
    limiter: SignInLimiter, clock: Clock
) -> None:
    for i in range(60):  # a distributed guesser: each address stays under its own limit
        wait = locked_for(limiter, "alice", f"198.51.{i // 4}.{i % 4}")
        assert wait is None or wait <= 5
        if wait:
            clock.advance(wait)
            fail(limiter, "alice", f"198.51.{i // 4}.{i % 4}")
    # The real alice, from her own address, waits a few seconds at most.
    wait = locked_for(limiter, "alice", "10.9.9.9")
    assert wait is None or wait <= 5
    if wait:
        clock.advance(wait)
    assert limiter.attempt("alice", "10.9.9.9", Checks().right) is not None


def test_the_guessers_own_address_is_locked_out_for_longer(limiter: SignInLimiter) -> None:
    fail(limiter, "alice", "192.0.2.66", times=5)
    assert locked_for(limiter, "alice", "192.0.2.66") == 30
    assert locked_for(limiter, "alice", "10.0.0.1") == 5


def test_two_limiters_on_one_database_share_their_counts(
    runtime: Runtime, limiter: SignInLimiter, clock: Clock
) -> None:
    other_process = Runtime(runtime.settings)
    try:
        other = SignInLimiter(other_process.unit_of_work, now=clock)
        fail(limiter, "bob", "192.0.2.9", times=3)
        fail(other, "carol", "192.0.2.9", times=2)
        assert locked_for(limiter, "dave", "192.0.2.9") == 30
        assert locked_for(other, "dave", "192.0.2.9") == 30
    finally:
        other_process.close()


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


def test_a_lockout_is_logged_once_with_username_and_address(
    limiter: SignInLimiter, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="modelplane.services.sign_in"):
        fail(limiter, "alice", "192.0.2.7", times=5)
        for _ in range(3):
            assert locked_for(limiter, "alice", "192.0.2.7") == 30
    assert len(caplog.records) == 1
    message = caplog.records[0].getMessage()
    assert "'alice'" in message and "192.0.2.7" in message and "30 s" in message


def test_concurrent_failures_for_one_key_are_all_counted(
    runtime: Runtime, limiter: SignInLimiter
) -> None:
    """Four attempts past the check at once, each from its own address: none of the four
    failures is lost, so the fifth locks the username."""
    barrier = threading.Barrier(4)

    def wrong_after_all_checked() -> SignIn | None:
        barrier.wait(timeout=10)
        return None

    def guess(n: int) -> None:
        limiter.attempt("erin", f"10.7.0.{n}", wrong_after_all_checked)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert locked_for(limiter, "erin", "10.7.1.1") is None  # four failures: the fifth goes
    assert locked_for(limiter, "erin", "10.7.1.2") == 5  # and five were counted
    assert len(limiter) == 6  # erin, and five addresses
