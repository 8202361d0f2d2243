"""Worker-side network IO: url fetches and callbacks, both behind the SSRF guard.

Knows nothing of the queue (no celery, no redis): `workers.tasks` wires it in.
"""

from workers.fetch.article import fetched_article
from workers.fetch.callback import (
    EVENT_FAILED,
    EVENT_PUBLISHED,
    callback_body,
    callback_url_of,
    post_callback,
    signed_headers,
)
from workers.fetch.fetcher import FetchedPage, FetchPolicy, fetch_page, map_httpx_errors
from workers.fetch.guard import AddressGuard, system_resolver, why_not_public
from workers.fetch.transport import (
    GuardedBackend,
    GuardedClient,
    GuardedTransport,
    guarded_client,
)

__all__ = [
    "EVENT_FAILED",
    "EVENT_PUBLISHED",
    "AddressGuard",
    "FetchPolicy",
    "FetchedPage",
    "GuardedBackend",
    "GuardedClient",
    "GuardedTransport",
    "callback_body",
    "callback_url_of",
    "fetch_page",
    "fetched_article",
    "guarded_client",
    "map_httpx_errors",
    "post_callback",
    "signed_headers",
    "system_resolver",
    "why_not_public",
]
