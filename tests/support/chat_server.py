"""A local HTTP server speaking the OpenAI-compatible chat-completions protocol that Groq
serves (`POST /openai/v1/chat/completions`, JSON or server-sent-event streaming, tool calls,
usage in `x_groq`), so the real `groq` SDK and our client code run against it.

Tests script it as the model they need, including an adversarial one: each request pops the
next `Reply` (or calls a function of the request that returns one). Every request body is
kept in `requests`, so a test can check exactly what left the system.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PATH = "/openai/v1/chat/completions"


@dataclass
class Reply:
    content: str | None = None
    tool_calls: list[tuple[str, str]] = field(default_factory=list)  # (name, arguments JSON)
    delay_s: float = 0.0
    status: int = 200
    cut_stream: bool = False  # close the connection mid-stream
    prompt_tokens: int = 40
    completion_tokens: int = 20


def text(content: str, **kw: Any) -> Reply:
    return Reply(content=content, **kw)


def as_json(value: Any, **kw: Any) -> Reply:
    return Reply(content=json.dumps(value), **kw)


def tools(*calls: tuple[str, dict[str, Any] | str], **kw: Any) -> Reply:
    return Reply(
        tool_calls=[(n, a if isinstance(a, str) else json.dumps(a)) for n, a in calls], **kw
    )


Script = Reply | Callable[[dict[str, Any]], Reply]


class ChatServer:
    def __init__(self) -> None:
        self.script: deque[Script] = deque()
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                if self.path != PATH:
                    self._send(404, {"error": {"message": "no such route"}})
                    return
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                with server._lock:
                    server.requests.append(body)
                    server.headers.append({k.lower(): v for k, v in self.headers.items()})
                    step = server.script.popleft() if server.script else None
                if step is None:
                    self._send(500, {"error": {"message": "script exhausted"}})
                    return
                reply = step(body) if callable(step) else step
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                if reply.status != 200:
                    self._send(reply.status, {"error": {"message": "scripted failure"}})
                elif body.get("stream"):
                    self._stream(body, reply)
                else:
                    self._send(200, _completion(body, reply))

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, body: dict[str, Any], reply: Reply) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.end_headers()
                chunks = list(_chunks(body, reply))
                for index, chunk in enumerate(chunks):
                    if reply.cut_stream and index == len(chunks) // 2:
                        self.wfile.write(b'data: {"choices": [{"delta": {"content"')
                        self.wfile.flush()
                        return
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def push(self, *steps: Script) -> None:
        with self._lock:
            self.script.extend(steps)

    def start(self) -> ChatServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def sent_text(self) -> str:
        """Everything the app sent to the model, as one string (for leak checks)."""
        return "\n".join(json.dumps(r) for r in self.requests)


def _base(body: dict[str, Any], kind: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": kind,
        "created": int(time.time()),
        "model": body.get("model", "test"),
    }


def _usage(reply: Reply) -> dict[str, int]:
    return {
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": reply.completion_tokens,
        "total_tokens": reply.prompt_tokens + reply.completion_tokens,
    }


def _completion(body: dict[str, Any], reply: Reply) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.tool_calls:
        message["tool_calls"] = [
            {"id": f"call_{i}", "type": "function", "function": {"name": n, "arguments": a}}
            for i, (n, a) in enumerate(reply.tool_calls)
        ]
    return _base(body, "chat.completion") | {
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if reply.tool_calls else "stop",
            }
        ],
        "usage": _usage(reply),
    }


def _chunks(body: dict[str, Any], reply: Reply) -> Iterator[dict[str, Any]]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return _base(body, "chat.completion.chunk") | {
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]
        }

    yield chunk({"role": "assistant", "content": ""})
    content = reply.content or ""
    for start in range(0, len(content), 12):  # several small deltas, like a real model
        yield chunk({"content": content[start : start + 12]})
    for i, (name, arguments) in enumerate(reply.tool_calls):
        yield chunk(
            {
                "tool_calls": [
                    {
                        "index": i,
                        "id": f"call_{i}",
                        "type": "function",
                        "function": {"name": name, "arguments": ""},
                    }
                ]
            }
        )
        for start in range(0, len(arguments), 16):
            piece = arguments[start : start + 16]
            yield chunk({"tool_calls": [{"index": i, "function": {"arguments": piece}}]})
    last = chunk({}, "tool_calls" if reply.tool_calls else "stop")
    last["x_groq"] = {"id": "req_test", "usage": _usage(reply)}
    yield last


@contextmanager
def running() -> Iterator[ChatServer]:
    server = ChatServer().start()
    try:
        yield server
    finally:
        server.stop()
