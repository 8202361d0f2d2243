"""The fetcher and the callback sender against real HTTP servers on loopback addresses.

Only 127.0.0.1 is allowed through the SSRF guard; a second server on 127.0.0.2 stands for
an internal service, so a guard that failed would show up as a request it received.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator

import httpx
import pytest

from schemas.errors import (
    ArticleTooLarge,
    CallbackRejected,
    CallbackUnavailable,
    FetchHttpError,
    FetchUnavailable,
    TooManyRedirects,
    UnsafeUrl,
    UnsupportedContentType,
)
from schemas.signing import verify
from schemas.stages import CallbackMessage
from tests.integration.local_http import LocalHTTPServer, Reply, internal_server, page, redirect
from workers.fetch import (
    EVENT_PUBLISHED,
    AddressGuard,
    FetchPolicy,
    callback_body,
    fetch_page,
    guarded_client,
    post_callback,
    signed_headers,
)

STORY = "<html><head><title>Talks</title></head><body><article><p>Delegates met.</p></article>"


@pytest.fixture(scope="module")
def site() -> Iterator[LocalHTTPServer]:
    with LocalHTTPServer("127.0.0.1") as server:
        yield server


@pytest.fixture(scope="module")
def internal() -> Iterator[LocalHTTPServer]:
    with internal_server() as server:
        server.route("/secret", page("internal admin page"))
        yield server


@pytest.fixture(scope="module")
def guard() -> AddressGuard:
    return AddressGuard.from_entries(["127.0.0.1/32"])


@pytest.fixture(scope="module")
def client(guard) -> Iterator[httpx.Client]:
    with guarded_client(guard, timeout=httpx.Timeout(2), user_agent="newsflow-test") as c:
        yield c


def policy(guard: AddressGuard, **overrides) -> FetchPolicy:
    fields = {"max_bytes": 100_000, "max_redirects": 3, "total_timeout": 5.0, "read_timeout": 2}
    fields.update(overrides)
    return FetchPolicy(guard=guard, **fields)


def test_an_html_page_is_fetched_through_a_redirect(site, guard, client):
    site.route("/old", redirect("/story"))
    site.route("/story", page(STORY))
    fetched = fetch_page(site.url("/old"), policy(guard), client)
    assert fetched.body == STORY.encode()
    assert fetched.url == site.url("/story")
    assert fetched.redirects == (site.url("/story"),)
    assert (fetched.content_type, fetched.media_type, fetched.charset) == (
        "text/html",
        "text/html",
        "utf-8",
    )
    request = site.requests_to("/story")[-1]
    assert request.headers["User-Agent"] == "newsflow-test"
    assert request.headers["Accept-Encoding"] == "identity"


def test_a_redirect_to_a_blocked_address_is_refused_at_that_hop(site, internal, guard, client):
    site.route("/to-internal", redirect(internal.url("/secret")))
    site.route("/to-metadata", redirect("http://169.254.169.254/latest/meta-data/"))
    with pytest.raises(UnsafeUrl, match=r"127\.0\.0\.2 \(loopback\)"):
        fetch_page(site.url("/to-internal"), policy(guard), client)
    assert internal.requests_to("/secret") == []  # the guard refused before connecting
    with pytest.raises(UnsafeUrl, match="metadata"):
        fetch_page(site.url("/to-metadata"), policy(guard), client)


def test_the_internal_server_is_reachable_when_allowed(internal):
    # Proves the refusal above is the guard's doing, not an unreachable server.
    guard = AddressGuard.from_entries(["127.0.0.2"])
    with guarded_client(guard, timeout=httpx.Timeout(2), user_agent="t") as c:
        fetched = fetch_page(internal.url("/secret"), policy(guard, content_types={"text/html"}), c)
    assert fetched.body == b"internal admin page"


def test_redirect_loops_stop_at_the_limit(site, guard, client):
    site.route("/loop", redirect("/loop"))
    with pytest.raises(TooManyRedirects, match="more than 3 times"):
        fetch_page(site.url("/loop"), policy(guard), client)
    assert len(site.requests_to("/loop")) == 4  # the first request and three redirects


def test_declared_and_streamed_sizes_are_capped(site, guard, client):
    site.route("/declared", page(b"x" * 100_001))
    with pytest.raises(ArticleTooLarge, match="declares 100,001 bytes"):
        fetch_page(site.url("/declared"), policy(guard), client)
    # No Content-Length, and the body never ends: reading stops at the cap.
    endless = Reply(200, {"Content-Type": "text/plain"}, itertools.repeat(b"y" * 8192))
    site.route("/endless", endless)
    started = time.monotonic()
    with pytest.raises(ArticleTooLarge, match="sent more than 100,000 bytes"):
        fetch_page(site.url("/endless"), policy(guard), client)
    assert time.monotonic() - started < 3


def test_content_types_outside_the_list_are_refused(site, guard, client):
    site.route("/pic", page(b"\x89PNG....", "image/png"))
    site.route("/untyped", Reply(200, {"Content-Length": "5"}, b"hello"))
    with pytest.raises(UnsupportedContentType, match="image/png"):
        fetch_page(site.url("/pic"), policy(guard), client)
    with pytest.raises(UnsupportedContentType, match="no declared type"):
        fetch_page(site.url("/untyped"), policy(guard), client)


def test_status_codes_split_into_retry_and_give_up(site, guard, client):
    site.route("/gone", Reply(404, {"Content-Length": "0"}))
    site.route("/busy", Reply(503, {"Content-Length": "0"}))
    site.route("/slow-down", Reply(429, {"Content-Length": "0"}))
    with pytest.raises(FetchHttpError, match="404"):
        fetch_page(site.url("/gone"), policy(guard), client)
    with pytest.raises(FetchUnavailable, match="503"):
        fetch_page(site.url("/busy"), policy(guard), client)
    with pytest.raises(FetchUnavailable, match="429"):
        fetch_page(site.url("/slow-down"), policy(guard), client)


def test_a_dripping_server_hits_the_total_timeout(site, guard, client):
    drip = Reply(200, {"Content-Type": "text/plain"}, itertools.repeat(b"z", 50), pause=0.1)
    site.route("/drip", drip)
    started = time.monotonic()
    with pytest.raises(FetchUnavailable, match="total timeout"):
        fetch_page(site.url("/drip"), policy(guard, total_timeout=1.0), client)
    assert time.monotonic() - started < 2.5


def test_a_closed_port_is_transient(guard, client):
    with LocalHTTPServer("127.0.0.1") as gone:
        url = gone.url("/x")
    with pytest.raises(FetchUnavailable, match="ConnectError"):
        fetch_page(url, policy(guard), client)


def test_callback_is_posted_signed_and_status_decides_retry(site, guard, client):
    message = CallbackMessage(article_id="c" * 64, url=site.url("/hook"), event=EVENT_PUBLISHED)
    body = callback_body(message, '{"article_id": "' + "c" * 64 + '"}')
    headers = signed_headers(b"secret", body, message, time.time())
    site.route("/hook", Reply(204, {"Content-Length": "0"}))
    assert post_callback(client, guard, site.url("/hook"), body, headers, 2) == 204
    got = site.requests_to("/hook")[-1]
    assert got.method == "POST" and got.body == body
    assert got.headers["Content-Type"] == "application/json"
    assert verify(
        b"secret",
        got.headers["X-Newsflow-Timestamp"],
        got.body,
        got.headers["X-Newsflow-Signature"],
        now=time.time(),
    )
    site.route("/hook-busy", Reply(500, {"Content-Length": "0"}))
    with pytest.raises(CallbackUnavailable, match="500"):
        post_callback(client, guard, site.url("/hook-busy"), body, headers, 2)
    site.route("/hook-gone", Reply(410, {"Content-Length": "0"}))
    with pytest.raises(CallbackRejected, match="410"):
        post_callback(client, guard, site.url("/hook-gone"), body, headers, 2)
    site.route("/hook-moved", redirect("/hook"))
    with pytest.raises(CallbackRejected, match="redirects are not followed"):
        post_callback(client, guard, site.url("/hook-moved"), body, headers, 2)
    with pytest.raises(UnsafeUrl):
        post_callback(client, guard, "http://10.0.0.1/hook", body, headers, 2)
