"""A loopback OpenAI Chat Completions double (non-streaming JSON and SSE streaming).

Shared by the tests and the benchmarks. It speaks the wire format exactly: `chat.completion`
objects, `chat.completion.chunk` events on `data:` lines, a last usage chunk with `choices: []`
when `stream_options.include_usage` is set, then `data: [DONE]`; errors as
`{"error": {"message", "type", "code"}}` with `retry-after` and `x-request-id`.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SCRIPT = """using UnityEngine;

public class Spinner : MonoBehaviour
{
    [SerializeField] private float degreesPerSecond = 90f;

    private void Update()
    {
        transform.Rotate(0f, degreesPerSecond * Time.deltaTime, 0f);
    }
}
"""

REPLY = "Here is the script.\n\n### Spinner.cs\n\n```csharp\n" + SCRIPT + "```\n"


class _Handler(BaseHTTPRequestHandler):
    # Without this every small response waits for the peer's delayed ACK (~40 ms).
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"
    server: "MockServer"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send_json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-request-id", f"req_{self.server.calls}")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802 (http.server API)
        length = int(self.headers.get("content-length", "0"))
        raw = self.rfile.read(length)
        with self.server.lock:
            self.server.calls += 1
            try:
                body = json.loads(raw)
            except ValueError:
                body = {"_raw": raw.decode(errors="replace")}
            self.server.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
        if self.server.gate is not None:
            self.server.arrived.set()
            self.server.gate.wait(timeout=30)
        if not self.path.endswith("/chat/completions"):
            self._send_json(404, {"error": {"message": "not found", "type": "invalid_request_error", "code": None}})
            return
        if self.server.mode == "rate_limited":
            self._send_json(
                429,
                {"error": {"message": "Rate limit reached for requests", "type": "requests",
                           "code": "rate_limit_exceeded"}},
                {"retry-after": "7"},
            )
            return
        if self.server.mode == "server_error":
            self._send_json(500, {"error": {"message": "The server had an error while processing your request.",
                                            "type": "server_error", "code": None}})
            return
        if self.server.mode == "unauthorized":
            self._send_json(401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error",
                                            "code": "invalid_api_key"}})
            return
        model = body.get("model", "gpt-4o-mini")
        if body.get("stream") and not self.server.json_only:
            self._stream(model, bool(body.get("stream_options", {}).get("include_usage")))
        else:
            self._send_json(200, {
                "id": "chatcmpl-mock",
                "object": "chat.completion",
                "created": 1700000000,
                "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": self.server.reply,
                                                     "refusal": None},
                             "logprobs": None, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 120, "completion_tokens": 80, "total_tokens": 200},
                "system_fingerprint": "fp_mock",
            })

    def _stream(self, model: str, include_usage: bool) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("x-request-id", f"req_{self.server.calls}")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()

        def chunk(delta: dict[str, Any], finish: str | None = None, usage: Any = None, choices: bool = True) -> None:
            obj: dict[str, Any] = {"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": 1700000000,
                                   "model": model, "system_fingerprint": "fp_mock",
                                   "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                                "finish_reason": finish}] if choices else []}
            if include_usage:
                obj["usage"] = usage
            self._write(f"data: {json.dumps(obj)}\n\n")

        chunk({"role": "assistant", "content": ""})
        text = self.server.reply
        pieces = [text[i:i + 40] for i in range(0, len(text), 40)]
        for piece in pieces:
            chunk({"content": piece})
        chunk({}, finish="stop")
        if include_usage:
            chunk({}, usage={"prompt_tokens": 120, "completion_tokens": 80, "total_tokens": 200}, choices=False)
        self._write("data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _write(self, text: str) -> None:
        data = text.encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


class MockServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.calls = 0
        self.requests: list[dict[str, Any]] = []
        self.mode = "ok"
        self.reply = REPLY
        # When set, requests wait for `gate` (after setting `arrived`): lets a test act while a
        # call is in flight.
        self.gate: threading.Event | None = None
        # Answer every request with one `chat.completion` JSON, even a streaming one (servers
        # may; benchmarks use it so every client gets the same bytes).
        self.json_only = False
        self.arrived = threading.Event()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (cancelled, interrupted) closes the socket mid-reply: expected here.
        import sys

        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def start(self) -> "MockServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
