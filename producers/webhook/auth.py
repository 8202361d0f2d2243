"""Who may call the API: a bearer token, or an HMAC-SHA256 signature inside a replay window.

The signature is `sha256=` + `hex(HMAC-SHA256(secret, f"{timestamp}." + body))` in the
signature header (the prefix may be left out), the Unix timestamp in seconds in the timestamp
header: the scheme of `schemas/signing.py`, which newsflow's own callbacks use too.
When neither tokens nor a secret is configured the API is open (development only: `serve`
refuses that in production). Once either is configured, every `/v1` request needs one.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from fastapi import Request

from producers.webhook.body import read_body
from producers.webhook.errors import ApiError
from schemas.settings import Settings
from schemas.signing import SIGNATURE_PREFIX, sign


class AuthFailed(Exception):
    """Credentials are missing (401) or wrong (403)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def verify_signature(
    secret: bytes,
    *,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: float,
    window_seconds: int,
) -> None:
    """Raise AuthFailed unless `signature` signs `body` at a `timestamp` inside the window."""
    if not signature or not timestamp:
        raise AuthFailed(401, "a signed request needs both the signature and timestamp headers")
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise AuthFailed(401, "the timestamp header must be Unix seconds (digits only)")
    if abs(now - int(timestamp)) > window_seconds:
        # Replays of a captured request stop working once it leaves the window.
        raise AuthFailed(
            403,
            f"the timestamp is more than {window_seconds}s away from the server clock: "
            "sign with the current time (check the sender's clock)",
        )
    given = SIGNATURE_PREFIX + signature.strip().removeprefix(SIGNATURE_PREFIX)
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(given.encode("ascii", "replace"), expected.encode("ascii")):
        raise AuthFailed(403, "the signature does not match the body and timestamp")


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer …` header, else None."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def token_matches(token: str, accepted: Sequence[str]) -> bool:
    """Constant-time comparison against every accepted token."""
    found = False
    for candidate in accepted:
        found |= hmac.compare_digest(token.encode(), candidate.encode())
    return found


@dataclass(frozen=True)
class AuthPolicy:
    """The configured credentials and how to check a request against them."""

    tokens: tuple[str, ...]
    secret: bytes | None
    signature_header: str
    timestamp_header: str
    window_seconds: int

    @classmethod
    def from_settings(cls, settings: Settings) -> AuthPolicy:
        """The policy of `settings`."""
        secret = settings.webhook_hmac_secret
        return cls(
            tokens=tuple(t.get_secret_value() for t in settings.webhook_tokens),
            secret=secret.get_secret_value().encode() if secret else None,
            signature_header=settings.webhook_signature_header,
            timestamp_header=settings.webhook_timestamp_header,
            window_seconds=settings.webhook_replay_window_seconds,
        )

    @property
    def enabled(self) -> bool:
        """True once any credential is configured."""
        return bool(self.tokens) or self.secret is not None

    def check(
        self, authorization: str | None, signature: str | None, timestamp: str | None, body: bytes
    ) -> None:
        """Raise AuthFailed unless one configured method accepts the request."""
        if not self.enabled:
            return
        token = bearer_token(authorization)
        if token is not None and self.tokens:
            if token_matches(token, self.tokens):
                return
            raise AuthFailed(403, "the bearer token is not accepted")
        if self.secret is not None and (signature or timestamp):
            verify_signature(
                self.secret,
                timestamp=timestamp,
                signature=signature,
                body=body,
                now=time.time(),
                window_seconds=self.window_seconds,
            )
            return
        raise AuthFailed(401, f"authentication required: {self._how()}")

    def _how(self) -> str:
        ways = []
        if self.tokens:
            ways.append("an `Authorization: Bearer <token>` header")
        if self.secret is not None:
            ways.append(
                f"an HMAC-SHA256 signature in {self.signature_header} with the Unix time "
                f"in {self.timestamp_header}"
            )
        return " or ".join(ways)


def authenticate(policy: AuthPolicy, max_body_bytes: int) -> Callable[[Request], Awaitable[None]]:
    """A FastAPI dependency enforcing `policy` (reads the body only for a signed request)."""

    async def dependency(request: Request) -> None:
        if not policy.enabled:
            return
        headers = request.headers
        signature = headers.get(policy.signature_header)
        timestamp = headers.get(policy.timestamp_header)
        signed = policy.secret is not None and bool(signature or timestamp)
        body = await read_body(request, max_body_bytes) if signed else b""
        try:
            policy.check(headers.get("authorization"), signature, timestamp, body)
        except AuthFailed as exc:
            challenge = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
            raise ApiError(exc.status, exc.message, headers=challenge) from None

    return dependency
