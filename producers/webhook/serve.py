"""`newsflow serve`: the webhook app on uvicorn; SIGTERM or Ctrl-C drain requests, then stop."""

from __future__ import annotations

import signal
import sys
from types import FrameType

import structlog
import uvicorn
from pydantic import ValidationError

from producers.webhook.app import UnsafeConfiguration, create_app
from schemas.logging import configure_logging
from schemas.settings import get_settings

log = structlog.get_logger(__name__)

# In-flight requests get this long after SIGTERM; each is a few Redis round trips.
GRACEFUL_SHUTDOWN_SECONDS = 10


def serve(host: str | None = None, port: int | None = None) -> int:
    """Run the webhook until SIGTERM/SIGINT; the exit status of the command."""
    try:
        settings = get_settings()
        configure_logging(settings.log_level, settings.log_format)
        app = create_app(settings)
    except (ValidationError, UnsafeConfiguration) as exc:
        print(f"newsflow serve: {exc}", file=sys.stderr)
        return 2
    config = uvicorn.Config(
        app,
        host=host or settings.webhook_host,
        port=settings.webhook_port if port is None else port,
        log_config=None,  # uvicorn's loggers go through our structlog handler
        access_log=False,  # one `article_accepted` line per article instead
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    server = uvicorn.Server(config)
    # uvicorn catches SIGTERM/SIGINT (stop accepting, drain, lifespan shutdown), then raises the
    # signal again against the handler that was in place before: with this one, a stop that
    # went as planned exits 0 instead of dying of the signal it already handled.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _already_handled)
    server.run()
    return 0 if server.started else 1


def _already_handled(signum: int, _frame: FrameType | None) -> None:
    log.info("webhook_signal_handled", signal=signal.Signals(signum).name)
