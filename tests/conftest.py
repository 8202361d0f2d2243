"""Shared fixtures: paths, factories, and access to real services (skip locally, fail in CI)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from schemas.article import ArticleMetadata, RawArticle, Source, SourceKind

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "tests" / "samples"
SEEDS = ROOT.parent / "shared" / "seeds"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(condition: bool, why: str) -> None:
    """Skip when a service or data set is missing on a laptop; fail when CI=true."""
    if not condition:
        if IN_CI:
            pytest.fail(f"{why} (CI=true: required)")
        pytest.skip(why)


def sample_files() -> list[Path]:
    """Our own sample articles (written by us)."""
    return sorted(p for p in SAMPLES.iterdir() if p.suffix in {".txt", ".html"})


def seed_files() -> list[Path]:
    """The five real seed articles in ../shared/seeds, or [] when the folder is absent."""
    return sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []


def make_raw_article(
    text: str = "Officials met in the capital on Friday. " * 5, **overrides: object
) -> RawArticle:
    """A valid queue message; override any field."""
    fields: dict[str, object] = {
        "source": Source(kind=SourceKind.FILE, path="made-up.txt"),
        "metadata": ArticleMetadata(),
        "content_type": "text/plain",
    }
    fields.update(overrides)
    return RawArticle.inline(text.encode(), **fields)
