"""What the SSRF guard and its pinned transport cost per fetch, on loopback.

    python ops/bench_fetch.py [N]

Serves tests/samples/04_capital_protest.html from a local HTTP server and fetches it N times
(default 300) with the guarded client (`fetch_page`: resolve, check, dial the checked
address, stream with the size cap) and with a plain httpx client; then times N refusals
of `http://2130706433/` (resolved to 127.0.0.1 and refused, no connection made).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from schemas.errors import UnsafeUrl  # noqa: E402
from tests.integration.local_http import LocalHTTPServer, page  # noqa: E402
from workers.fetch import AddressGuard, FetchPolicy, fetch_page, guarded_client  # noqa: E402


def timed(n: int, call) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def line(name: str, ms: list[float]) -> str:
    ms = sorted(ms)
    p95 = ms[int(len(ms) * 0.95) - 1]
    return f"{name:<34} median {statistics.median(ms):6.2f} ms   p95 {p95:6.2f} ms"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    html = (ROOT / "tests" / "samples" / "04_capital_protest.html").read_bytes()
    with LocalHTTPServer("127.0.0.1") as server:
        server.route("/a", page(html))
        url = server.url("/a")
        guard = AddressGuard.from_entries(["127.0.0.1/32"])
        policy = FetchPolicy(guard=guard)
        with (
            guarded_client(guard, timeout=policy.timeout(), user_agent="bench") as guarded,
            httpx.Client(timeout=5) as plain,
        ):
            for client in (guarded, plain):  # warm both pools
                client.get(url)
            g = timed(n, lambda: fetch_page(url, policy, guarded))
            p = timed(n, lambda: plain.get(url).content)

        blocked = FetchPolicy(guard=AddressGuard())
        with guarded_client(blocked.guard, timeout=policy.timeout(), user_agent="b") as strict:

            def refuse() -> None:
                try:
                    fetch_page("http://2130706433/", blocked, strict)
                except UnsafeUrl:
                    return
                raise AssertionError("not refused")

            r = timed(n, refuse)
    print(f"{n} fetches of a {len(html):,}-byte page over loopback (HTTP/1.0 server)")
    print(line("guarded fetch_page", g))
    print(line("plain httpx.Client.get", p))
    print(line("refusal of http://2130706433/", r))


if __name__ == "__main__":
    main()
