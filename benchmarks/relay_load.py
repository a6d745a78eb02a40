"""The relay under load: many browsers at once, some leaving, some too slow; and its bytes.

The server is a separate process (``python -m benchmarks.relay_load serve``: uvicorn on
127.0.0.1, the app below), so its memory is its own and it has a core to itself when there are
two; the clients are asyncio connections in this process, speaking HTTP/1.1 and SSE directly
(lighter than an HTTP library, so that a thousand of them fit on the other core). Each client
gets the recorded Anthropic stream (``midstream/data/demo_stream.jsonl``: 114 deltas, a
1,267-byte document) replayed at token speed (``--delay`` seconds per delta) through
``aupdates(model=Party)`` and ``sse_response``, applies the patches with ``apply_patch`` and
checks it ends with exactly the document.

Reported: events/s delivered; the latency the relay adds (server side: from an operation being
queued to its event having been written to the socket; p50 / p99 / max over every event); how
late each client's last event came against the replay's own schedule (client side); the server's
memory per open stream (peak RSS minus RSS before the load, over the number of streams); what
was lost (clients whose document differs: must be 0). With ``--leave F`` a fraction of the
clients leave mid-stream: their upstreams must be closed within one delta, and afterwards the
server must hold no more tasks and relay objects than before the load.

``--bytes``: the bytes table (one client at a time, at token speed): what the relay sends for
``interval`` 0 (an event per delta), 0.05 s, 0.1 s, 0.25 s, against the document and against
relaying the whole value after every delta.

Run: ``.venv/bin/python -m benchmarks.relay_load --clients 1000`` (``--bytes``; ``--json
PATH`` writes the figures). ``tests/test_load.py`` runs the same code with 100 clients.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import random
import resource
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# -- the server (a child process) ------------------------------------------------------------------


def big_document(size: int) -> str:
    """A JSON text of about ``size`` bytes: rows of records with text (LLM-shaped)."""
    rows = []
    n = 0
    i = 0
    while n < size:
        row = {"id": i, "title": f"item {i}", "text": "lorem ipsum dolor sit amet " * 4, "ok": i % 3 == 0}
        rows.append(row)
        n += len(json.dumps(row)) + 1
        i += 1
    return json.dumps({"rows": rows})


def server_app() -> Any:
    import anyio
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    from examples.relay_app import Party, Replay, recorded_payloads
    from midstream import aupdates
    from midstream.web import RelayStats, sse_response

    payloads = recorded_payloads()
    records: list[dict[str, Any]] = []
    latencies: list[float] = []
    open_streams = [0]
    docs: dict[int, str] = {}

    def recorder(request: Request, replay: Any = None) -> Any:
        open_streams[0] += 1
        tag = request.query_params.get("tag", "")

        def record(stats: RelayStats) -> None:
            open_streams[0] -= 1
            latencies.extend(stats.latencies or ())
            records.append(
                {
                    "tag": tag,
                    "outcome": stats.outcome,
                    "error": stats.error,
                    "bytes": stats.bytes,
                    "events": stats.events,
                    "ops": stats.ops,
                    "merged": stats.merged,
                    "items": stats.items,
                    "peak_buffer": stats.peak_buffer,
                    "seconds": stats.ended - stats.started,
                    "upstream_closed": stats.upstream_closed,
                    "deltas": replay.deltas if replay is not None else stats.items,
                    "deltas_after_disconnect": replay.after(stats.disconnected_at) if replay is not None else 0,
                    "close_after_disconnect": (
                        stats.closed_at - stats.disconnected_at
                        if stats.closed_at is not None and stats.disconnected_at is not None
                        else None
                    ),
                }
            )

        return record

    async def stream(request: Request) -> Response:
        q = request.query_params
        replay = Replay(payloads, float(q.get("delay", "0.03")))
        return sse_response(
            aupdates(replay, model=Party),
            interval=float(q.get("interval", "0")),
            measure=True,
            on_close=recorder(request, replay),
        )

    async def big(request: Request) -> Response:
        """A large document as text deltas of ``delta`` characters, ``pause`` seconds after
        every ``every`` deltas."""
        q = request.query_params
        size = int(q.get("size", "1000000"))
        text = docs.get(size)
        if text is None:
            text = docs[size] = big_document(size)
        step = int(q.get("delta", "64"))
        every = int(q.get("every", "16"))
        pause = float(q.get("pause", "0.001"))

        async def deltas() -> AsyncIterator[str]:
            for k, i in enumerate(range(0, len(text), step)):
                if k % every == 0:
                    await anyio.sleep(pause)
                yield text[i : i + step]

        return sse_response(
            deltas(),
            max_buffer=int(q.get("max_buffer", str(1 << 20))),
            drop_timeout=float(q.get("drop_timeout", "1")),
            interval=float(q.get("interval", "0")),
            measure=True,
            on_close=recorder(request),
        )

    async def stats(request: Request) -> Response:
        out = {"records": records, "latency": summary(latencies)}
        if request.query_params.get("reset"):
            records[:] = []
            latencies[:] = []
        return JSONResponse(out)

    async def debug(request: Request) -> Response:
        return JSONResponse(live_objects() | {"open": open_streams[0], "rss": rss(os.getpid())})

    async def document(request: Request) -> Response:
        size = int(request.query_params["size"])
        text = docs.get(size)
        if text is None:
            text = docs[size] = big_document(size)
        return Response(text, media_type="application/json")

    return Starlette(
        routes=[
            Route("/stream", stream),
            Route("/big", big),
            Route("/stats", stats),
            Route("/debug", debug),
            Route("/document", document),
        ]
    )


def live_objects() -> dict[str, int]:
    """Tasks on this loop and live objects of the relay's types (after a collection)."""
    from midstream import ModelParser, Parser
    from midstream.integrations.updates import Updater
    from midstream.web import Outbox, PatchStream, PatchStreamResponse, ValuePatcher

    gc.collect()
    kinds = {
        "PatchStreamResponse": PatchStreamResponse,
        "PatchStream": PatchStream,
        "ValuePatcher": ValuePatcher,
        "Outbox": Outbox,
        "Updater": Updater,
        "ModelParser": ModelParser,
        "Parser": Parser,
    }
    counts = dict.fromkeys(kinds, 0)
    for obj in gc.get_objects():
        for name, cls in kinds.items():
            if isinstance(obj, cls):
                counts[name] += 1
    return {"tasks": len(asyncio.all_tasks()), **counts}


def rss(pid: int) -> int:
    """Resident memory of a process, bytes (Linux)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def raise_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


#: The kernel send buffer of each connection of the load server.
SNDBUF = 64 * 1024


def serve(lifetime: float) -> None:
    import threading

    import uvicorn

    # (bounded: the process ends itself after `lifetime` seconds, whatever its parent does)
    threading.Timer(lifetime, os._exit, args=(3,)).start()
    raise_file_limit()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Each connection's kernel send buffer is bounded (accepted sockets inherit it), as on a
    # server holding thousands of them: a client that stops reading is felt after ~64 KiB there,
    # ~64 KiB in asyncio's transport, and its own receive window, not after megabytes.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SNDBUF)
    sock.bind(("127.0.0.1", 0))
    print(f"PORT {sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(server_app(), log_level="warning", lifespan="off", backlog=4096, timeout_keep_alive=5)
    uvicorn.Server(config).run(sockets=[sock])


@contextlib.contextmanager
def server_process(lifetime: float = 600) -> Iterator[tuple[int, int]]:
    """The server in a child process (killed after ``lifetime`` seconds at the latest):
    (port, pid)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.relay_load", "serve", str(lifetime)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the relay server did not start: {line!r}")
        port = int(line.split()[1])
        pid = proc.pid
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield port, pid
    finally:
        proc.terminate()
        if proc.stdout is not None:
            proc.stdout.close()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(15)


# -- the clients -------------------------------------------------------------------------------------


@dataclass
class ClientResult:
    doc: Any = None
    outcome: str = ""  # done, error, left, cut
    error: dict[str, Any] | None = None
    events: int = 0
    bytes: int = 0
    started: float = 0.0
    first_event: float = 0.0
    finished: float = 0.0


async def sse_client(
    port: int,
    path: str,
    *,
    leave_after: int | None = None,
    stall: float = 0.0,
    read_size: int | None = None,
    read_pause: float = 0.0,
    rcvbuf: int | None = None,
) -> ClientResult:
    """GET ``path`` and read its patch stream (HTTP/1.1 chunked, SSE), applying the patches.

    ``leave_after``: close the connection after that many patch events. ``stall``: read nothing
    for that long after the headers. ``read_size`` / ``read_pause``: read that many bytes at a
    time, pausing between reads (a slow client; with a small ``rcvbuf`` the server feels it).
    """
    from midstream import apply_patch

    res = ClientResult(started=time.monotonic())
    sock = socket.socket()
    if rcvbuf:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, ("127.0.0.1", port))
    limit = read_size or 1 << 16
    reader, writer = await asyncio.open_connection(sock=sock, limit=limit)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(head.decode(errors="replace"))
        if stall:
            await asyncio.sleep(stall)
        pending = b""
        doc: Any = None
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            chunk = b""
            while len(chunk) < size + 2:
                want = size + 2 - len(chunk)
                if read_size:
                    want = min(want, read_size)
                    if read_pause:
                        await asyncio.sleep(read_pause)
                chunk += await reader.readexactly(want)
            res.bytes += size
            pending += chunk[:-2]
            while b"\n\n" in pending:
                block, pending = pending.split(b"\n\n", 1)
                kind, data = "message", b""
                for line in block.split(b"\n"):
                    if line.startswith(b"event: "):
                        kind = line[7:].decode()
                    elif line.startswith(b"data: "):
                        data = line[6:]
                if not data:
                    continue
                if kind == "message":
                    doc = apply_patch(doc, json.loads(data))
                    res.events += 1
                    if res.events == 1:
                        res.first_event = time.monotonic()
                    if leave_after is not None and res.events >= leave_after:
                        res.outcome = "left"
                        res.doc = doc
                        res.finished = time.monotonic()
                        return res
                elif kind in ("done", "error"):
                    res.outcome = kind
                    if kind == "error":
                        res.error = json.loads(data)
        res.doc = doc
        if not res.outcome:
            res.outcome = "cut"
    except (asyncio.IncompleteReadError, ConnectionError) as e:
        res.outcome = res.outcome or f"cut: {type(e).__name__}"
    finally:
        res.finished = res.finished or time.monotonic()
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
    return res


async def get_json(port: int, path: str) -> Any:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    data = await reader.read()
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    if b"chunked" in head.lower():
        out, rest = b"", body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            n = int(size_line, 16)
            if n == 0:
                break
            out, rest = out + rest[:n], rest[n + 2 :]
        body = out
    return json.loads(body)


def summary(xs: list[float]) -> dict[str, float]:
    if not xs:
        return {"n": 0, "p50": 0.0, "p99": 0.0, "max": 0.0}
    ys = sorted(xs)
    return {
        "n": len(ys),
        "p50": ys[len(ys) // 2],
        "p99": ys[min(len(ys) - 1, int(len(ys) * 0.99))],
        "max": ys[-1],
    }


# -- the load run -----------------------------------------------------------------------------------


@dataclass
class LoadReport:
    clients: int
    delay: float
    interval: float
    leavers: int
    seconds: float = 0.0
    events: int = 0
    events_per_s: float = 0.0
    deltas_per_s: float = 0.0
    bytes: int = 0
    lost: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    relay_latency: dict[str, float] = field(default_factory=dict)
    finish_slip: dict[str, float] = field(default_factory=dict)
    server_seconds: dict[str, float] = field(default_factory=dict)
    server_cpu: float = 0.0
    server_cpu_per_delta_us: float = 0.0
    client_cpu: float = 0.0
    load_average: float = 0.0
    rss_before: int = 0
    rss_peak: int = 0
    per_stream_kib: float = 0.0
    leaver_max_deltas_after: int = 0
    leaver_close_after: dict[str, float] = field(default_factory=dict)
    leavers_closed: int = 0
    before: dict[str, int] = field(default_factory=dict)
    after: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


async def load(
    port: int,
    pid: int,
    clients: int,
    delay: float,
    interval: float = 0.0,
    leave: float = 0.0,
    ramp: float = 1.0,
    seed: int = 7,
) -> LoadReport:
    from examples.relay_app import recorded_payloads, source_text

    source = json.loads(source_text(recorded_payloads()))
    rnd = random.Random(seed)
    leavers = set(rnd.sample(range(clients), int(clients * leave)))
    report = LoadReport(clients, delay, interval, len(leavers))
    report.load_average = os.getloadavg()[0]
    # warm up (imports, the model's schema, the allocator), then the baseline
    await asyncio.gather(*(sse_client(port, f"/stream?delay=0&tag=warm{i}") for i in range(3)))
    await get_json(port, "/stats?reset=1")
    await asyncio.sleep(0.2)
    report.before = await get_json(port, "/debug")
    report.rss_before = report.before.pop("rss")
    peak = [report.rss_before]
    stop = asyncio.Event()

    async def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], rss(pid))
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.05)

    async def one(i: int) -> ClientResult:
        await asyncio.sleep(ramp * i / clients)  # (connections spread over `ramp` seconds)
        path = f"/stream?delay={delay}&interval={interval}&tag={'leaver' if i in leavers else 'stayer'}"
        leave_after = rnd.randint(5, 60) if i in leavers else None
        return await sse_client(port, path, leave_after=leave_after)

    sampler = asyncio.create_task(sample())
    t0 = time.monotonic()
    cpu0, own0 = cpu_seconds(pid), time.process_time()
    results = await asyncio.gather(*(one(i) for i in range(clients)), return_exceptions=True)
    t1 = time.monotonic()
    report.server_cpu = cpu_seconds(pid) - cpu0
    report.client_cpu = time.process_time() - own0
    await asyncio.sleep(0.3)  # (the server finishes the responses of the clients that left)
    stop.set()
    await sampler
    stats = await get_json(port, "/stats")
    report.after = await get_json(port, "/debug")
    report.after.pop("rss")

    nominal = delay * 114
    slips = []
    for i, r in enumerate(results):
        if isinstance(r, BaseException):
            report.outcomes["exception"] = report.outcomes.get("exception", 0) + 1
            report.problems.append(f"client {i}: {r!r}")
            report.lost += 1
            continue
        report.outcomes[r.outcome] = report.outcomes.get(r.outcome, 0) + 1
        report.events += r.events
        report.bytes += r.bytes
        if i in leavers:
            continue
        if r.outcome != "done" or r.doc != source:
            report.lost += 1
        else:
            slips.append(r.finished - r.started - nominal)
    report.seconds = t1 - t0
    report.events_per_s = report.events / report.seconds
    records = stats["records"]
    items = sum(x["items"] for x in records)
    report.deltas_per_s = items / report.seconds
    report.server_cpu_per_delta_us = report.server_cpu / max(items, 1) * 1e6
    report.relay_latency = stats["latency"]
    report.server_seconds = summary([x["seconds"] for x in records if x["tag"] == "stayer"])
    report.finish_slip = summary(slips)
    report.rss_peak = peak[0]
    report.per_stream_kib = (report.rss_peak - report.rss_before) / clients / 1024
    left = [x for x in records if x["tag"] == "leaver"]
    report.leavers_closed = sum(1 for x in left if x["upstream_closed"] and x["outcome"] == "disconnected")
    report.leaver_max_deltas_after = max((x["deltas_after_disconnect"] for x in left), default=0)
    report.leaver_close_after = summary([x["close_after_disconnect"] for x in left if x["close_after_disconnect"] is not None])
    if len(records) != clients:
        report.problems.append(f"{len(records)} responses finished on the server for {clients} clients")
    return report


def run_load(clients: int, delay: float, **kw: Any) -> LoadReport:
    raise_file_limit()
    with server_process() as (port, pid):
        return asyncio.run(load(port, pid, clients, delay, **kw))


def print_report(r: LoadReport) -> None:
    lat = r.relay_latency
    slip = r.finish_slip
    print(f"clients: {r.clients} ({r.leavers} leave mid-stream), {r.delay * 1000:.0f} ms per delta, interval {r.interval} s")
    print(f"  {r.events:,} events in {r.seconds:.1f} s: {r.events_per_s:,.0f} events/s; upstream deltas {r.deltas_per_s:,.0f}/s; {r.bytes:,} bytes")
    print(f"  CPU: server {r.server_cpu:.1f} s ({r.server_cpu_per_delta_us:.0f} µs per upstream delta, everything included), clients {r.client_cpu:.1f} s; load average before {r.load_average:.1f} (2 shared cores)")
    print(f"  relay latency (queued -> written): p50 {lat['p50'] * 1000:.2f} ms, p99 {lat['p99'] * 1000:.2f} ms, max {lat['max'] * 1000:.1f} ms over {lat['n']:,} events")
    ss = r.server_seconds
    print(f"  last event after the replay's schedule ({r.delay * 114:.2f} s): p50 {slip['p50'] * 1000:.0f} ms, p99 {slip['p99'] * 1000:.0f} ms; a response lasted {ss['p50']:.2f} s (p50), {ss['max']:.2f} s (max) on the server")
    print(f"  server RSS {r.rss_before / 2**20:.1f} MiB -> peak {r.rss_peak / 2**20:.1f} MiB: {r.per_stream_kib:.1f} KiB per open stream")
    print(f"  outcomes {r.outcomes}; lost: {r.lost}")
    if r.leavers:
        ca = r.leaver_close_after
        print(f"  leavers: {r.leavers_closed}/{r.leavers} upstreams closed, at most {r.leaver_max_deltas_after} delta(s) after the disconnect, closed {ca['p50'] * 1000:.1f} ms (p50) / {ca['max'] * 1000:.1f} ms (max) after it")
    print(f"  server objects before {r.before}")
    print(f"  server objects after  {r.after}")
    for p in r.problems[:10]:
        print("  problem:", p)


# -- bytes -------------------------------------------------------------------------------------------


def bytes_table(delay: float, intervals: list[float]) -> list[dict[str, Any]]:
    """One client at a time: what the relay sends per ``interval``, at token speed."""
    from examples.relay_app import Party, recorded_payloads, source_text
    from midstream import updates

    payloads = recorded_payloads()
    source = json.loads(source_text(payloads))
    doc_bytes = len(json.dumps(source, separators=(",", ":"), ensure_ascii=False).encode())
    whole = 0
    for u in updates(payloads, model=Party):
        if u.value is not None:
            whole += len(b"data: \n\n") + len(json.dumps(u.value, separators=(",", ":"), ensure_ascii=False).encode())
        if u.done:
            break
    rows = []
    with server_process() as (port, _):
        for interval in intervals:
            r = asyncio.run(sse_client(port, f"/stream?delay={delay}&interval={interval}"))
            assert r.outcome == "done" and r.doc == source, r.outcome
            rows.append(
                {
                    "interval": interval,
                    "events": r.events,
                    "bytes": r.bytes,
                    "x_document": r.bytes / doc_bytes,
                    "x_whole": r.bytes / whole,
                    "document": doc_bytes,
                    "whole_snapshots": whole,
                    "seconds": r.finished - r.started,
                }
            )
    return rows


def print_bytes(rows: list[dict[str, Any]], delay: float) -> None:
    r0 = rows[0]
    print(f"\nbytes: the recorded stream ({r0['document']:,}-byte document, 114 deltas, {delay * 1000:.0f} ms per delta)")
    print(f"whole value after every delta: {r0['whole_snapshots']:,} bytes ({r0['whole_snapshots'] / r0['document']:.1f}x the document)\n")
    print("| interval | events | bytes sent | ÷ document | ÷ whole snapshots | stream took |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        what = "0 (an event per delta)" if not r["interval"] else f"{r['interval'] * 1000:.0f} ms"
        print(f"| {what} | {r['events']} | {r['bytes']:,} | {r['x_document']:.2f}× | {r['x_whole']:.3f} | {r['seconds']:.2f} s |")


# -- CPU per delta, in process ------------------------------------------------------------------------


def cpu_table(streams: int = 200, rounds: int = 3) -> list[dict[str, Any]]:
    """CPU per upstream delta, in this process, no sockets: ``aupdates`` alone, with the
    patches made (``PatchStream``), and the whole response written to an ASGI client that
    takes everything at once. ``streams`` at a time, each upstream item after a checkpoint (as
    a network read would). Best of ``rounds``, interleaved."""
    import anyio
    import anyio.lowlevel

    from examples.relay_app import Party, recorded_payloads
    from midstream import aupdates
    from midstream.web import PatchStream, sse_response

    payloads = recorded_payloads()
    deltas = sum(1 for p in payloads if p.get("type") == "content_block_delta")

    async def upstream() -> AsyncIterator[dict[str, Any]]:
        for p in payloads:
            await anyio.lowlevel.checkpoint()
            yield p

    async def bare() -> None:
        async for _ in aupdates(upstream(), model=Party):
            pass

    async def with_patches() -> None:
        ps = PatchStream()
        async for u in aupdates(upstream(), model=Party):
            ps.feed(u)
            if ps.complete:
                break

    async def relay() -> None:
        first = True

        async def receive() -> dict[str, Any]:
            nonlocal first
            if first:
                first = False
                return {"type": "http.request", "body": b"", "more_body": False}
            await anyio.sleep_forever()
            raise AssertionError

        async def send(message: Any) -> None:
            pass

        scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "method": "GET"}
        await sse_response(aupdates(upstream(), model=Party), ping=None)(scope, receive, send)

    cases = {"aupdates(model=Party) alone": bare, "+ the patches (PatchStream)": with_patches, "+ the whole response (sse_response)": relay}
    best = dict.fromkeys(cases, float("inf"))
    for _ in range(rounds):
        for name, fn in cases.items():

            async def many(fn: Any = fn) -> None:
                async with anyio.create_task_group() as tg:
                    for _ in range(streams):
                        tg.start_soon(fn)

            gc.collect()
            t = time.process_time()
            anyio.run(many)
            best[name] = min(best[name], (time.process_time() - t) / streams / deltas * 1e6)
    return [{"what": k, "us_per_delta": v} for k, v in best.items()]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"]:
        serve(float(argv[1]) if len(argv) > 1 else 600.0)
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--delay", type=float, default=0.03, help="seconds per delta (token speed)")
    ap.add_argument("--interval", type=float, default=0.0)
    ap.add_argument("--leave", type=float, default=0.1, help="fraction of clients that leave mid-stream")
    ap.add_argument("--ramp", type=float, default=2.0, help="seconds over which the clients connect")
    ap.add_argument("--bytes", action="store_true", help="the bytes table instead")
    ap.add_argument("--cpu", action="store_true", help="CPU per delta in process, instead")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args(argv)
    if args.cpu:
        rows = cpu_table()
        print("| per upstream delta, in process (no sockets) | CPU µs |\n|---|---|")
        for r in rows:
            print(f"| {r['what']} | {r['us_per_delta']:.1f} |")
        out = rows
    elif args.bytes:
        rows = bytes_table(args.delay, [0.0, 0.05, 0.1, 0.25])
        print_bytes(rows, args.delay)
        out: Any = rows
    else:
        report = run_load(args.clients, args.delay, interval=args.interval, leave=args.leave, ramp=args.ramp)
        print_report(report)
        out = asdict(report)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
