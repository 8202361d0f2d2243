"""The webhook trigger: an ASGI app that queues articles through the one enqueue path.

`create_app(settings)` builds it; `newsflow serve` runs it on uvicorn. Imports `schemas` and
`producers.enqueue` only, never worker code.
"""

from producers.webhook.app import create_app

__all__ = ["create_app"]
