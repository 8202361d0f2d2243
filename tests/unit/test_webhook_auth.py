"""Webhook auth: bearer tokens, HMAC signatures and the replay window (pure logic)."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest

from producers.webhook.auth import (
    AuthFailed,
    AuthPolicy,
    bearer_token,
    token_matches,
    verify_signature,
)
from schemas import signing

SECRET = b"s3cret"
BODY = b'{"text":"Officials met on Friday."}'
NOW = 1_760_000_000.0


def signature_for(timestamp: str, body: bytes = BODY, secret: bytes = SECRET) -> str:
    # Written from the documented scheme, not from the code under test.
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={mac}"


def verify(signature: str | None, timestamp: str | None, body: bytes = BODY, window: int = 300):
    verify_signature(
        SECRET, timestamp=timestamp, signature=signature, body=body, now=NOW, window_seconds=window
    )


def status_of(call) -> int:
    with pytest.raises(AuthFailed) as caught:
        call()
    return caught.value.status


def test_a_fresh_signature_is_accepted_with_or_without_its_prefix():
    ts = str(int(NOW))
    verify(signature_for(ts), ts)
    verify(signature_for(ts).removeprefix("sha256="), ts)
    assert signing.sign(SECRET, ts, BODY) == signature_for(ts)  # one scheme for callbacks too


def test_a_signature_of_another_body_or_secret_is_refused():
    ts = str(int(NOW))
    assert status_of(lambda: verify(signature_for(ts), ts, body=BODY + b" ")) == 403
    assert status_of(lambda: verify(signature_for(ts, secret=b"other"), ts)) == 403
    assert status_of(lambda: verify("sha256=" + "0" * 64, ts)) == 403
    assert status_of(lambda: verify("not hex at all é", ts)) == 403


def test_the_signed_timestamp_is_part_of_the_signature():
    ts = str(int(NOW))
    later = str(int(NOW) + 1)
    assert status_of(lambda: verify(signature_for(ts), later)) == 403


@pytest.mark.parametrize("offset", [-301, 301, -86_400])
def test_requests_outside_the_replay_window_are_refused(offset):
    ts = str(int(NOW) + offset)
    assert status_of(lambda: verify(signature_for(ts), ts)) == 403


@pytest.mark.parametrize("offset", [-300, 0, 300])
def test_requests_inside_the_replay_window_pass(offset):
    ts = str(int(NOW) + offset)
    verify(signature_for(ts), ts)


@pytest.mark.parametrize(
    ("signature", "timestamp"),
    [(None, "1760000000"), ("sha256=ab", None), ("sha256=ab", "1.5e9"), ("sha256=ab", "-5")],
)
def test_missing_or_malformed_headers_are_unauthenticated(signature, timestamp):
    assert status_of(lambda: verify(signature, timestamp)) == 401


def test_bearer_header_parsing():
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer   abc ") == "abc"
    assert bearer_token("Basic abc") is None
    assert bearer_token("Bearer") is None
    assert bearer_token(None) is None


def test_token_matches_only_a_configured_token():
    assert token_matches("b", ("a", "b"))
    assert not token_matches("c", ("a", "b"))
    assert not token_matches("", ("a",))


def policy(tokens=(), secret=None) -> AuthPolicy:
    return AuthPolicy(
        tokens=tuple(tokens),
        secret=secret,
        signature_header="X-Newsflow-Signature",
        timestamp_header="X-Newsflow-Timestamp",
        window_seconds=300,
    )


def test_an_unconfigured_policy_lets_everything_in():
    policy().check(None, None, None, BODY)


def test_once_configured_a_request_without_credentials_is_refused():
    for configured in (policy(tokens=["t"]), policy(secret=SECRET), policy(["t"], SECRET)):
        assert status_of(lambda p=configured: p.check(None, None, None, BODY)) == 401
        assert status_of(lambda p=configured: p.check("Basic dTpw", None, None, BODY)) == 401


def test_tokens_and_signatures_are_alternatives():
    both = policy(tokens=["t"], secret=SECRET)
    both.check("Bearer t", None, None, BODY)
    assert status_of(lambda: both.check("Bearer wrong", None, None, BODY)) == 403
    ts = str(int(time.time()))
    both.check(None, signature_for(ts), ts, BODY)
    assert status_of(lambda: both.check(None, signature_for(ts), ts, b"tampered")) == 403


def test_a_bearer_token_is_no_use_where_only_signatures_are_configured():
    signed_only = policy(secret=SECRET)
    assert status_of(lambda: signed_only.check("Bearer t", None, None, BODY)) == 401
