"""Download one page for a url submission, within limits, through the SSRF guard.

1. Check the URL (scheme, host, port), then GET it without following redirects; the
   transport resolves and checks the host's addresses before it connects.
2. A redirect (3xx with Location) becomes the next hop, checked the same way, up to
   `max_redirects`.
3. Status: 2xx goes on; 408, 429 and 5xx are transient (retried); other 4xx, and a 3xx
   without a usable Location, are permanent.
4. Content-Type must be on the allowed list; its media type becomes the cleaner's hint.
5. The body is streamed and cut off past `max_bytes` (a Content-Length above it is refused
   before reading) and past the total deadline (a server dripping bytes).

Errors come out as ours: TransientError subclasses to retry, PermanentError ones with a
reason code (`ssrf_blocked`, `invalid_url`, `http_error`, `unsupported_content_type`,
`too_large`, `too_many_redirects`, `dns_error`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from schemas.article import ContentType
from schemas.errors import (
    ArticleTooLarge,
    FetchHttpError,
    FetchRefused,
    FetchUnavailable,
    InvalidUrl,
    TooManyRedirects,
    TransientError,
    UnsupportedContentType,
)
from workers.fetch.guard import AddressGuard
from workers.fetch.transport import GuardedClient

# Media types the cleaner reads as HTML; every other allowed type is read as plain text
# (never as a JSON envelope, so a fetched page can never ask for another fetch).
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_TRANSIENT_STATUS = frozenset({408, 425, 429})


@dataclass(frozen=True)
class FetchPolicy:
    """The limits of one fetch (built from settings by the worker)."""

    guard: AddressGuard
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    content_types: frozenset[str] = frozenset({"text/html", "application/xhtml+xml", "text/plain"})
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    total_timeout: float = 60.0
    user_agent: str = "newsflow"

    def timeout(self) -> httpx.Timeout:
        """httpx timeouts: connect, read and write per operation."""
        return httpx.Timeout(
            connect=self.connect_timeout,
            read=self.read_timeout,
            write=self.read_timeout,
            pool=self.connect_timeout,
        )


@dataclass(frozen=True)
class FetchedPage:
    """A downloaded page and how it was reached."""

    requested_url: str
    url: str  # after redirects
    status: int
    media_type: str
    content_type: ContentType  # the cleaner's hint
    charset: str | None
    body: bytes
    redirects: tuple[str, ...]
    fetched_at: datetime
    elapsed_ms: float


def fetch_page(url: str, policy: FetchPolicy, client: GuardedClient) -> FetchedPage:
    """GET `url` within the policy's limits; raises our TransientError/PermanentError."""
    require_guard(client, policy.guard)
    started = time.monotonic()
    deadline = started + policy.total_timeout
    request = _first_request(client, url, policy)
    hops: list[str] = []
    while True:
        policy.guard.check_url(request.url)
        if time.monotonic() > deadline:
            raise FetchUnavailable(
                f"{url}: no page within the total timeout after {len(hops)} redirect(s) "
                "(NEWSFLOW_FETCH_TOTAL_TIMEOUT_SECONDS): retrying later"
            )
        with map_httpx_errors(request.url):
            response = client.send(request, stream=True)
        try:
            if response.has_redirect_location:
                if len(hops) >= policy.max_redirects:
                    raise TooManyRedirects(
                        f"{url} redirected more than {policy.max_redirects} times "
                        f"(last to {response.headers.get('location')!r}; "
                        "NEWSFLOW_FETCH_MAX_REDIRECTS)"
                    )
                with map_httpx_errors(request.url):
                    request = _next_request(response)
                hops.append(str(request.url))
                continue
            _check_status(response)
            media_type = _check_content_type(response, policy)
            body = _read_capped(response, policy.max_bytes, deadline)
            return FetchedPage(
                requested_url=url,
                url=str(response.url),
                status=response.status_code,
                media_type=media_type,
                content_type="text/html" if media_type in _HTML_TYPES else "text/plain",
                charset=response.charset_encoding,
                body=body,
                redirects=tuple(hops),
                fetched_at=datetime.now(UTC),
                elapsed_ms=round((time.monotonic() - started) * 1000, 3),
            )
        finally:
            response.close()


def require_guard(client: GuardedClient, guard: AddressGuard) -> None:
    """Refuse a client that does not connect through `guard` (a plain one has no guard)."""
    if getattr(client, "guard", None) != guard:
        raise TypeError("the client does not connect through this policy's SSRF guard")


@contextmanager
def map_httpx_errors(
    url: httpx.URL | str, transient: type[TransientError] = FetchUnavailable
) -> Iterator[None]:
    """Translate httpx's exceptions into ours: network trouble retries, bad URLs do not."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise transient(f"{url}: timed out ({type(exc).__name__}): retrying") from exc
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        raise InvalidUrl(f"{url}: {exc}") from exc
    except httpx.DecodingError as exc:
        raise FetchRefused(f"{url}: the response body does not decode: {exc}") from exc
    except httpx.HTTPError as exc:  # connect/read/write errors, protocol errors
        raise transient(f"{url}: {type(exc).__name__}: {exc or 'no detail'}") from exc


def _first_request(client: httpx.Client, url: str, policy: FetchPolicy) -> httpx.Request:
    accept = ", ".join(sorted(policy.content_types)) + ";q=1.0, */*;q=0.1"
    with map_httpx_errors(url):
        # identity: no compression, so the size cap counts the bytes that arrive and a
        # small compressed body cannot expand into a huge one in memory.
        return client.build_request(
            "GET", url, headers={"Accept": accept, "Accept-Encoding": "identity"}
        )


def _next_request(response: httpx.Response) -> httpx.Request:
    # httpx builds the redirect (method, relative Location, dropped auth) when it is told
    # not to follow it; we follow it ourselves so the guard sees every hop.
    nxt = response.next_request
    if nxt is None:  # pragma: no cover - httpx always sets it for a redirect location
        raise InvalidUrl(f"{response.url}: redirect without a usable Location")
    return nxt


def _check_status(response: httpx.Response) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    where = str(response.url)
    if status >= 500 or status in _TRANSIENT_STATUS:
        raise FetchUnavailable(f"{where} answered {status}: retrying later")
    raise FetchHttpError(
        f"{where} answered {status} {response.reason_phrase}: the page cannot be fetched "
        "(check the URL)"
    )


def _check_content_type(response: httpx.Response, policy: FetchPolicy) -> str:
    header = response.headers.get("content-type", "")
    media_type = header.split(";", 1)[0].strip().lower()
    if media_type not in policy.content_types:
        allowed = ", ".join(sorted(policy.content_types))
        raise UnsupportedContentType(
            f"{response.url} is {media_type or 'of no declared type'!s}, not one of {allowed} "
            "(NEWSFLOW_FETCH_CONTENT_TYPES)"
        )
    return media_type


def _read_capped(response: httpx.Response, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(response, f"declares {int(declared):,} bytes", max_bytes)
    chunks: list[bytes] = []
    size = 0
    with map_httpx_errors(response.url):
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise _too_large(response, f"sent more than {max_bytes:,} bytes", max_bytes)
            if time.monotonic() > deadline:
                raise FetchUnavailable(
                    f"{response.url}: the download took longer than the total timeout "
                    "(NEWSFLOW_FETCH_TOTAL_TIMEOUT_SECONDS): retrying later"
                )
            chunks.append(chunk)
    return b"".join(chunks)


def _too_large(response: httpx.Response, what: str, max_bytes: int) -> ArticleTooLarge:
    return ArticleTooLarge(
        f"{response.url} {what}, over the {max_bytes:,}-byte limit "
        "(NEWSFLOW_MAX_ARTICLE_BYTES): not downloaded"
    )
