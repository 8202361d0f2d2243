"""The `clean` message for a fetched page: same article id, the page as its body."""

from __future__ import annotations

import base64

from schemas.article import ArticleEnvelope, ArticleMetadata, RawArticle
from workers.fetch.fetcher import FetchedPage


def fetched_article(
    raw: RawArticle, envelope: ArticleEnvelope, page: FetchedPage, body_ref: str | None = None
) -> RawArticle:
    """The url submission `raw`, now carrying the downloaded page (inline, or at `body_ref`).

    The id stays the submission's (its status URL was already handed out). Producer
    metadata wins over the envelope's; the fetch time anchors relative dates ("2 hours
    ago"); `source.url` is where the bytes came from (after redirects), `metadata.url` what
    was asked for.
    """
    meta = raw.metadata
    metadata = ArticleMetadata(
        title=meta.title or envelope.title,
        published_at=meta.published_at or envelope.published_at,
        outlet=meta.outlet or envelope.outlet,
        url=envelope.url,
        crawled_at=page.fetched_at,
        callback_url=meta.callback_url or envelope.callback_url,
    )
    return RawArticle(
        article_id=raw.article_id,
        run_id=raw.run_id,
        source=raw.source.model_copy(update={"url": page.url}),
        metadata=metadata,
        content_type=page.content_type,
        size=len(page.body),
        body_b64=None if body_ref else base64.b64encode(page.body).decode("ascii"),
        body_ref=body_ref,
        sinks=raw.sinks,
        force=raw.force,
    )
