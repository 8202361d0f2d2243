"""Export the JSON Schema files in `schemas/json/` from the pydantic models.

Run `python -m schemas.export` after changing a model; a test fails while they are stale.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from schemas.article import RawArticle
from schemas.record import Record
from schemas.stages import CleanedArticle

JSON_DIR = Path(__file__).parent / "json"

EXPORTED: dict[str, type[BaseModel]] = {
    "record.schema.json": Record,
    "raw_article.schema.json": RawArticle,
    "cleaned_article.schema.json": CleanedArticle,
}


def render(model: type[BaseModel]) -> str:
    """The JSON Schema of `model`, as committed (stable key order, trailing newline)."""
    return json.dumps(model.model_json_schema(), indent=2, sort_keys=True) + "\n"


def main() -> None:
    """Write every exported schema file."""
    JSON_DIR.mkdir(exist_ok=True)
    for filename, model in EXPORTED.items():
        (JSON_DIR / filename).write_text(render(model), encoding="utf-8")
        print(f"wrote schemas/json/{filename}")


if __name__ == "__main__":
    main()
