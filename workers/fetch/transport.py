"""An httpx transport that connects only to addresses the SSRF guard has checked.

httpx resolves host names inside httpcore's network backend (`connect_tcp`). We replace
that backend: it resolves the name itself, runs the guard over every address, and dials
one of those very addresses, so there is no second DNS lookup a rebinding server could
answer differently. Only the TCP target changes: the Host header, TLS SNI and certificate
checks still use the URL's host name, because httpcore takes them from the URL, not from
`connect_tcp`'s argument. Every new connection goes through here, redirect hops included.

No proxies (`trust_env=False`): through a proxy the guard would check the proxy, not the
target. DNS lookups are blocking `getaddrinfo` calls, bounded by the resolver's own timeout.
"""

from __future__ import annotations

import ssl
import typing

import httpcore
import httpx

from schemas.errors import InvalidUrl
from workers.fetch.guard import AddressGuard

DEFAULT_LIMITS = httpx.Limits(max_connections=10, max_keepalive_connections=5)


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's sync backend, dialling only guard-checked addresses."""

    def __init__(self, guard: AddressGuard, inner: httpcore.NetworkBackend | None = None) -> None:
        self.guard = guard
        self._inner = inner or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        """Resolve and check `host`, then connect to the first checked address that answers."""
        options = list(socket_options or [])
        failure: Exception | None = None
        for address in self.guard.resolve(host, port):
            try:
                return self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc  # try the next address, as socket.create_connection does
        assert failure is not None  # resolve() never returns an empty list
        raise failure

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        """Never: a fetch or callback only goes out over TCP."""
        raise InvalidUrl("unix sockets are never used for url fetches or callbacks")

    def sleep(self, seconds: float) -> None:
        """Delegate to the inner backend."""
        self._inner.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's default transport over a connection pool whose backend is `GuardedBackend`."""

    def __init__(
        self,
        guard: AddressGuard,
        *,
        ssl_context: ssl.SSLContext | None = None,
        limits: httpx.Limits = DEFAULT_LIMITS,
    ) -> None:
        super().__init__(trust_env=False, limits=limits)
        self.guard = guard
        # httpx (0.28) takes no network backend, so the pool it built is replaced by one
        # that has ours; handle_request, close and error mapping stay httpx's own.
        self._pool.close()
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context or httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(guard),
        )


class GuardedClient(httpx.Client):
    """An httpx client whose every connection passes `guard`; it never follows redirects.

    `fetch_page` and `post_callback` take only this type and check its guard, so a plain
    client (no guard) cannot be handed to them by mistake.
    """

    def __init__(self, guard: AddressGuard, *, timeout: httpx.Timeout, user_agent: str) -> None:
        super().__init__(
            transport=GuardedTransport(guard),
            timeout=timeout,
            follow_redirects=False,  # the fetcher follows them itself, checking each hop
            trust_env=False,
            headers={"User-Agent": user_agent},
        )
        self.guard = guard


def guarded_client(
    guard: AddressGuard, *, timeout: httpx.Timeout, user_agent: str
) -> GuardedClient:
    """A `GuardedClient` for `guard`."""
    return GuardedClient(guard, timeout=timeout, user_agent=user_agent)
