"""Cleaning speed on large and pathological inputs: `python ops/bench_clean.py`.

Prints one row per input: size, best of three wall times, and the outcome. The 1 MB page is
the largest page of the article-extraction benchmark (when ../shared/benchmarks is present).
"""

from __future__ import annotations

import gzip
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from schemas.errors import InvalidArticle  # noqa: E402
from workers.clean import CleanOptions, clean  # noqa: E402

BENCH = ROOT.parent / "shared" / "benchmarks" / "article_extraction" / "html"
OPTIONS = CleanOptions(max_bytes=50 * 1024 * 1024)


def largest_page() -> bytes | None:
    """The largest benchmark page, or None without the benchmark."""
    pages = sorted(BENCH.glob("*.html.gz")) if BENCH.is_dir() else []
    if not pages:
        return None
    return max((gzip.open(p).read() for p in pages), key=len)


def cases() -> list[tuple[str, bytes, str | None]]:
    """(name, raw bytes, content type) of every input timed."""
    out: list[tuple[str, bytes, str | None]] = []
    page = largest_page()
    if page is not None:
        out.append((f"largest benchmark page ({len(page) / 1e6:.1f} MB HTML)", page, "text/html"))
    story = b"The minister met the envoy in the capital on Friday to discuss the dispute. "
    out += [
        ("700-word text article", (story * 50), "text/plain"),
        ("5 MB single line of text", b"word " * 1_000_000, None),
        ("5 MB single-line HTML paragraph", b"<p>" + b"word " * 1_000_000 + b"</p>", "text/html"),
        (
            "HTML nested 20,000 deep",
            b"<html><body>"
            + b"<div>" * 20000
            + b"<p>"
            + story * 5
            + b"</p>"
            + b"</div>" * 20000
            + b"</body></html>",
            "text/html",
        ),
        ("200,000 short lines (4 MB)", b"Headline number here\n" * 200_000, None),
    ]
    return out


def best_of(fn: Callable[[], str], runs: int = 3) -> tuple[float, str]:
    """Best wall time of `runs` calls and the last outcome."""
    best, outcome = float("inf"), ""
    for _ in range(runs):
        started = time.perf_counter()
        outcome = fn()
        best = min(best, time.perf_counter() - started)
    return best, outcome


def main() -> None:
    """Time every case and print the table."""
    print(f"{'input':45} {'seconds':>8}  outcome")
    for name, raw, content_type in cases():

        def run(raw: bytes = raw, content_type: str | None = content_type) -> str:
            try:
                result = clean(raw, content_type=content_type, options=OPTIONS)
            except InvalidArticle as exc:
                return f"rejected ({exc.reason})"
            return f"{len(result.text):,} chars kept, {len(result.removed)} cuts"

        seconds, outcome = best_of(run)
        print(f"{name:45} {seconds:8.3f}  {outcome}")


if __name__ == "__main__":
    main()
