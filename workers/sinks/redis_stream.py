"""Redis stream sink: `redis-stream://[:password@]host:port/db?key=newsflow:records&maxlen=N`.

Each record is one stream entry with the fields `article_id`, `pipeline_version` and `record`
(the record's JSON), added with `XADD … MAXLEN ~ N` (approximate trimming: cheap, keeps at least
N entries; no trimming when `maxlen` is absent or 0).

Idempotent per (article_id, pipeline version): one Lua script sets a marker with `SET NX EX`
(NEWSFLOW_SINK_STREAM_DEDUPE_TTL_SECONDS) and XADDs only when the marker was new, so a
redelivered publish never adds the record twice, and a crash between the two cannot happen
(the script is atomic). Consumers still see each record once per pipeline version: a new
version of newsflow writes the article again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit, urlunsplit

import redis

from schemas import names
from schemas.errors import SinkRejected, SinkUnavailable
from schemas.record import Record
from schemas.settings import get_settings
from workers.sinks.base import SinkBase

DEFAULT_STREAM = f"{names.PREFIX}:records"

# KEYS: stream, marker. ARGV: ttl, maxlen (0 = untrimmed), article_id, version, record JSON.
_XADD_ONCE = """
if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1]) then
  return 0
end
if tonumber(ARGV[2]) > 0 then
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*',
             'article_id', ARGV[3], 'pipeline_version', ARGV[4], 'record', ARGV[5])
else
  redis.call('XADD', KEYS[1], '*',
             'article_id', ARGV[3], 'pipeline_version', ARGV[4], 'record', ARGV[5])
end
return 1
"""

# Server replies that mean "not now" rather than "never".
_TRANSIENT_REPLIES = ("OOM", "LOADING", "READONLY", "MASTERDOWN", "BUSY", "TRYAGAIN")


@dataclass(frozen=True)
class StreamTarget:
    """Where the sink writes: a Redis URL for redis-py, the stream key and its length cap."""

    redis_url: str
    key: str = DEFAULT_STREAM
    maxlen: int = 0

    @classmethod
    def from_url(cls, url: str) -> StreamTarget:
        """Parse `redis-stream://host:port/db?key=…&maxlen=…` (`rediss-stream://` for TLS)."""
        parts = urlsplit(url)
        scheme = {"redis-stream": "redis", "rediss-stream": "rediss"}.get(parts.scheme.lower())
        if scheme is None or not parts.hostname:
            raise ValueError(
                f"sink {url!r} is not a redis-stream URL with a host: use e.g. "
                "redis-stream://127.0.0.1:6379/0?key=newsflow:records&maxlen=100000"
            )
        db = parts.path.strip("/") or "0"
        if not db.isdigit():
            raise ValueError(f"sink {url!r}: the path must be a database number, not {db!r}")
        query = parse_qs(parts.query)
        key = query.get("key", [DEFAULT_STREAM])[0]
        maxlen_text = query.get("maxlen", ["0"])[0]
        if not key:
            raise ValueError(f"sink {url!r}: key= is empty; name the stream, e.g. key=records")
        if not maxlen_text.isdigit():
            raise ValueError(f"sink {url!r}: maxlen={maxlen_text!r} is not a whole number >= 0")
        redis_url = urlunsplit((scheme, parts.netloc, f"/{db}", "", ""))
        return cls(redis_url=redis_url, key=key, maxlen=int(maxlen_text))


class RedisStreamSink(SinkBase):
    """XADD each record to a Redis stream, at most once per (article, pipeline version)."""

    def __init__(self, url: str, *, dedupe_ttl_seconds: int | None = None) -> None:
        self.url = url
        self.target = StreamTarget.from_url(url)
        self._ttl = dedupe_ttl_seconds or get_settings().sink_stream_dedupe_ttl_seconds
        self._client: redis.Redis | None = None
        self._script: redis.commands.core.Script | None = None

    def _redis(self) -> tuple[redis.Redis, redis.commands.core.Script]:
        if self._client is None or self._script is None:
            self._client = redis.Redis.from_url(
                self.target.redis_url, socket_timeout=10, socket_connect_timeout=5
            )
            self._script = self._client.register_script(_XADD_ONCE)
        return self._client, self._script

    def write_batch(self, records: Sequence[Record]) -> None:
        """Add every record not yet added (one round trip for the batch)."""
        if not records:
            return
        client, script = self._redis()
        try:
            pipe = client.pipeline(transaction=False)
            for record in records:
                version = record.pipeline.version
                marker = names.stream_sent_key(self.target.key, record.article_id, version)
                script(
                    keys=[self.target.key, marker],
                    args=[
                        self._ttl,
                        self.target.maxlen,
                        record.article_id,
                        version,
                        record.model_dump_json(),
                    ],
                    client=pipe,
                )
            pipe.execute()
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise SinkUnavailable(
                f"redis-stream sink {self._where()} unreachable ({exc}): retried later; "
                "check the server is up"
            ) from exc
        except redis.ResponseError as exc:
            if str(exc).startswith(_TRANSIENT_REPLIES):
                raise SinkUnavailable(
                    f"redis-stream sink {self._where()} is not taking writes now ({exc})"
                ) from exc
            raise SinkRejected(
                f"redis-stream sink {self._where()} refused the XADD ({exc}): check that "
                f"{self.target.key!r} is a stream (or absent)"
            ) from exc

    def _where(self) -> str:
        parts = urlsplit(self.target.redis_url)
        return f"{parts.hostname}:{parts.port or 6379}{parts.path} key={self.target.key}"

    def close(self) -> None:
        """Release the connection pool."""
        if self._client is not None:
            client, self._client, self._script = self._client, None, None
            client.close()
