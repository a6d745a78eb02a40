"""The relay under load and faults, on 127.0.0.1: many clients at once, clients that leave,
clients too slow. The server is a child process (``benchmarks/relay_load.py``, which reports
the full 1,000-client figures); the clients speak HTTP/1.1 and SSE directly.

* 100 clients at token speed, 20 of them leaving mid-stream: every client that stays ends with
  exactly the document; every one that left had its upstream closed within one delta; after the
  load the server holds no more tasks, responses, patchers or parsers than before.
* A client that stops reading while a large document streams is dropped once ``max_buffer``
  bytes wait for it (an error event, the upstream closed, memory bounded by the bound), while a
  client that reads slowly (with a bound it does not reach) gets merged events and the exact
  document, and a fast one the same.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from benchmarks.relay_load import (
    big_document,
    get_json,
    load,
    print_report,
    raise_file_limit,
    server_process,
    sse_client,
)


def test_many_clients_some_leaving() -> None:
    raise_file_limit()
    with server_process(lifetime=300) as (port, pid):
        r = asyncio.run(load(port, pid, clients=100, delay=0.02, leave=0.2, ramp=1.0))
    print()
    print_report(r)
    assert not r.problems, r.problems
    assert r.lost == 0
    assert r.outcomes == {"done": 80, "left": 20}
    assert r.leavers_closed == 20 and r.leaver_max_deltas_after <= 1
    assert r.after == r.before, (r.before, r.after)  # no task, response, patcher or parser left
    assert r.before["PatchStreamResponse"] == 0 and r.before["tasks"] <= 3
    assert 0 < r.per_stream_kib < 500
    assert r.relay_latency["n"] >= 80 * 113 and r.relay_latency["p99"] < 2.0


def test_stalled_and_slow_clients() -> None:
    size = 1_000_000
    final = json.loads(big_document(size))
    limit = 256 * 1024
    raise_file_limit()

    async def main(port: int) -> tuple[list[Any], Any]:
        path = f"/big?size={size}&delta=64&every=16&pause=0.001&drop_timeout=1"
        roomy = f"{path}&max_buffer={8 << 20}"  # (the slow client is never dropped: it merges)
        results = await asyncio.gather(
            # reads nothing for 4 s (a small receive window: the server feels it at once)
            sse_client(port, f"{path}&max_buffer={limit}&tag=stalled", stall=4.0, rcvbuf=4096, read_size=4096),
            # reads 16 KiB every 10 ms
            sse_client(port, f"{roomy}&tag=slow", rcvbuf=16384, read_size=16384, read_pause=0.01),
            sse_client(port, f"{roomy}&tag=fast"),
        )
        await asyncio.sleep(0.3)
        return list(results), await get_json(port, "/stats")

    with server_process(lifetime=300) as (port, _):
        (stalled, slow, fast), stats = asyncio.run(main(port))
    records = {r["tag"]: r for r in stats["records"]}

    # the stalled client: dropped at the bound, upstream closed, nothing past the bound held
    s = records["stalled"]
    assert s["outcome"] == "dropped" and s["error"] == "SlowClient", s
    assert s["upstream_closed"]
    assert limit < s["peak_buffer"] < limit + 4096, s["peak_buffer"]
    assert s["items"] < 15625  # (it stopped reading the upstream: 1 MB in 64-character deltas)
    assert stalled.outcome != "done"
    if stalled.outcome == "error":  # (when the connection let the error event through)
        assert stalled.error is not None and stalled.error["type"] == "SlowClient"

    # the slow and the fast client: everything, exactly; the slow one in merged events
    for client, tag in ((slow, "slow"), (fast, "fast")):
        assert client.outcome == "done", (tag, client.outcome)
        assert client.doc == final
        assert records[tag]["outcome"] == "done"
    assert records["slow"]["merged"] > 0
    assert records["slow"]["events"] < records["slow"]["items"]
    print(
        f"\nslow client: {records['slow']['items']} deltas in {records['slow']['events']} events "
        f"(peak {records['slow']['peak_buffer']:,} bytes waiting); stalled client dropped at "
        f"{records['stalled']['peak_buffer']:,} bytes (limit {limit:,})"
    )
