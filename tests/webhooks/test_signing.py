"""Signatures and the retry schedule, by the rules in ``domain/webhooks.py``."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from modelplane.domain.webhooks import (
    WebhookSpec,
    address_problem,
    headers,
    next_attempt,
    secret_key,
    signature,
)

AT = datetime(2026, 12, 1, tzinfo=UTC)


def test_the_signature_is_hmac_sha256_over_id_timestamp_and_body() -> None:
    key = b"0123456789abcdef0123"
    secret = "whsec_" + base64.b64encode(key).decode()
    body = b'{"type":"flag.changed"}'
    mac = hmac.new(key, b"msg_1.1700000000." + body, hashlib.sha256).digest()
    assert signature(secret, "msg_1", 1700000000, body) == "v1," + base64.b64encode(mac).decode()
    plain = hmac.new(b"not-base64-secret!", b"msg_1.1." + body, hashlib.sha256).digest()
    assert signature("not-base64-secret!", "msg_1", 1, body).endswith(
        base64.b64encode(plain).decode()
    )
    sent = headers(secret, "msg_1", 1700000000, body)
    assert sent["webhook-id"] == "msg_1" and sent["webhook-timestamp"] == "1700000000"


def test_a_whsec_secret_must_be_base64() -> None:
    with pytest.raises(ValueError, match="base64"):
        secret_key("whsec_not base64!!")
    with pytest.raises(ValueError, match="secret"):
        WebhookSpec(url="https://x.example/h", secret="whsec_@@@@@@@@@@@@", events=["flag.changed"])


def test_retries_back_off_exponentially_and_stop_after_24_hours() -> None:
    gaps = []
    now = AT
    for attempt in range(1, 6):
        when = next_attempt(AT, attempt, now)
        assert when is not None
        gaps.append((when - now).total_seconds())
        now = when
    assert gaps == [5, 10, 20, 40, 80]
    assert next_attempt(AT, 30, AT + timedelta(hours=23)) is None  # past the 24 hours
    assert next_attempt(AT, 10_000, AT) == AT + timedelta(hours=2)  # the gap is capped


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("127.0.0.1", True),
        ("10.0.0.1", True),
        ("169.254.1.1", True),
        ("::1", True),
        ("::ffff:192.168.1.1", True),
        ("fe80::1", True),
        ("93.184.216.34", False),
    ],
)
def test_private_loopback_and_link_local_addresses_are_refused(address: str, refused: bool) -> None:
    assert (address_problem(address) is not None) is refused
