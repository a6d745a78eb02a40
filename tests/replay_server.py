"""A loopback HTTP server that replays recorded LLM streams to the real SDK clients.

``ReplayServer`` (a threaded ``http.server`` on 127.0.0.1, port 0) answers any POST whose path
starts with ``/<stream>/<options>/`` (the rest, ``v1/chat/completions``, ``v1/messages``,
``v1/responses`` ..., is what the SDK appends to its ``base_url``) with the body of that stream,
as ``text/event-stream`` in HTTP/1.1 chunked encoding:

* a recorded stream of the corpus: its ``.sse`` body byte for byte when there is one, else an
  SSE body framed around its recorded ``.jsonl`` payloads (each line verbatim as ``data:``,
  with ``event: <type>`` where the payload has a ``type``, ``data: [DONE]`` last for OpenAI
  chat);
* or a body registered with :meth:`ReplayServer.add`.

``<options>`` (``-`` for none) is a comma-separated list: ``split=N`` writes each event in
chunks of 1..N bytes (random, seeded by ``seed=S``; UTF-8 sequences get cut), ``delay=MS``
sleeps before each event, ``cut=B`` drops the connection after B bytes of body (without the
chunked encoding's end: the client sees a broken body).

Every response is recorded in :attr:`ReplayServer.log`: how many events were actually written,
how many the body has, and whether the client closed the connection before the end (checked
before each event: a client that closed makes the socket readable at EOF). The server is
bounded: each request times out, and the server shuts itself down after ``lifetime`` seconds
even if the test that started it never stops it.
"""

from __future__ import annotations

import json
import random
import re
import select
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from support.corpus import STREAMS

INDEX: list[dict[str, Any]] = json.loads((STREAMS / "index.json").read_text("utf-8"))
BY_NAME = {s["name"]: s for s in INDEX}

_EVENT_END = re.compile(rb"\r\n\r\n|\n\n|\r\r")


def recorded_body(name: str) -> bytes:
    """The SSE body of a recorded stream: the ``.sse`` file, or one framed around the payloads."""
    sse = STREAMS / f"{name}.sse"
    if sse.is_file():
        return sse.read_bytes()
    out = []
    for line in (STREAMS / f"{name}.jsonl").read_text("utf-8").splitlines():
        if not line.strip():
            continue
        t = json.loads(line).get("type")
        head = f"event: {t}\n" if isinstance(t, str) else ""
        out.append(f"{head}data: {line}\n\n")
    if BY_NAME[name]["api"] in ("openai-chat-completions", "chat-completions-compatible"):
        out.append("data: [DONE]\n\n")
    return "".join(out).encode("utf-8")


def split_events(body: bytes) -> list[bytes]:
    """The body cut after each blank line (an event and its terminator; the tail, if any)."""
    events, k = [], 0
    for m in _EVENT_END.finditer(body):
        events.append(body[k : m.end()])
        k = m.end()
    if k < len(body):
        events.append(body[k:])
    return events


@dataclass
class Served:
    """What one response did: events written out of ``total``, and how it ended."""

    path: str
    total: int
    sent: int = 0
    client_closed: bool = False
    finished: bool = False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def setup(self) -> None:
        super().setup()
        # small writes go out at once (no Nagle delay waiting for the client's delayed ACK)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        parts = self.path.strip("/").split("/")
        name = parts[0]
        options = _options(parts[1] if len(parts) > 1 else "-")
        body = self.server.bodies.get(name)
        if body is None:
            if name not in BY_NAME:
                self.send_error(404, f"no stream {name!r}")
                return
            body = recorded_body(name)
        events = split_events(body)
        served = Served(self.path, len(events))
        with self.server.lock:
            self.server.log.append(served)
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("transfer-encoding", "chunked")
        self.send_header("cache-control", "no-cache")
        self.end_headers()
        self.wfile.flush()
        rnd = random.Random(options.get("seed", 0))
        split = int(options.get("split", 0))
        delay = float(options.get("delay", 0)) / 1000
        cut = int(options.get("cut", -1))
        written = 0
        try:
            for event in events:
                if delay:
                    time.sleep(delay)
                if self._client_closed():
                    served.client_closed = True
                    return
                pieces = [event]
                if split:
                    pieces, k = [], 0
                    while k < len(event):
                        m = rnd.randint(1, split)
                        pieces.append(event[k : k + m])
                        k += m
                for piece in pieces:
                    if 0 <= cut < written + len(piece):
                        piece = piece[: cut - written]
                        if piece:
                            self._chunk(piece)
                        self.close_connection = True
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    self._chunk(piece)
                    written += len(piece)
                served.sent += 1
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            served.finished = True
        except (BrokenPipeError, ConnectionResetError):
            served.client_closed = True
            self.close_connection = True

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _client_closed(self) -> bool:
        sock = self.connection
        readable, _, _ = select.select([sock], [], [], 0)
        if not readable:
            return False
        try:
            return sock.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True


def _options(text: str) -> dict[str, str]:
    if text in ("", "-"):
        return {}
    return dict(item.split("=", 1) for item in text.split(","))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    bodies: dict[str, bytes]
    log: list[Served]
    lock: threading.Lock


class ReplayServer:
    """``with ReplayServer() as server:`` ... ``server.url(name, split=7)`` is a base URL."""

    def __init__(self, lifetime: float = 300.0, request_timeout: float = 30.0) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.timeout = request_timeout
        self._server.bodies = {}
        self._server.log = []
        self._server.lock = threading.Lock()
        _Handler.timeout = request_timeout
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._timer = threading.Timer(lifetime, self.stop)
        self._timer.daemon = True
        self._stopped = False

    def start(self) -> ReplayServer:
        self._thread.start()
        self._timer.start()
        return self

    def stop(self) -> None:
        if not self._stopped:
            self._stopped = True
            self._timer.cancel()
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def add(self, name: str, body: bytes) -> None:
        """Serve ``body`` (an SSE body) as the stream ``name``."""
        self._server.bodies[name] = body

    @property
    def log(self) -> list[Served]:
        return self._server.log

    def url(self, name: str, *, v1: bool = False, **options: Any) -> str:
        """The base URL that replays ``name`` (``v1=True`` appends ``/v1``, as OpenAI's
        clients expect; Anthropic's append it themselves)."""
        opts = ",".join(f"{k}={v}" for k, v in options.items()) or "-"
        return f"http://127.0.0.1:{self.port}/{name}/{opts}" + ("/v1" if v1 else "")
