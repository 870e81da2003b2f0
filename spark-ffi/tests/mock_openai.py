#!/usr/bin/env python3
"""Loopback OpenAI-compatible server for the C and C# binding tests.

Speaks the Chat Completions wire format exactly: `POST /v1/chat/completions` answers a JSON
`chat.completion`, or with `"stream": true` an SSE stream of `chat.completion.chunk` objects
(`data: {...}\\n\\n`, a usage-only chunk when `stream_options.include_usage` is set, then
`data: [DONE]\\n\\n`). The request's `model` picks the behaviour:

- `mock-429`: HTTP 429 `rate_limit_exceeded` with `retry-after: 1`;
- `mock-warn`: like the default, with a script that draws a validation warning;
- `mock-500`: HTTP 500 `server_error` (retried, so SPARK logs warnings);
- `mock-hostile`: a script with blocking security findings (Process.Start, an AWS key), which
  the output policy holds back;
- anything else: a reply holding one valid Unity script (`Spinner.cs`), usage 42 in / 17 out.

Usage: mock_openai.py PORT_FILE  (binds 127.0.0.1 on a free port and writes it to PORT_FILE).
"""

import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPLY = """Here is the script.

### Spinner.cs
```csharp
using UnityEngine;

public class Spinner : MonoBehaviour
{
    [SerializeField] private float speed = 90f;

    private void Update()
    {
        transform.Rotate(0f, speed * Time.deltaTime, 0f);
    }
}
```
"""

# A reply whose script draws a warning (GetComponent in Update), so results carry diagnostics.
WARN_REPLY = REPLY.replace("transform.Rotate(0f, speed * Time.deltaTime, 0f);",
                           "GetComponent<Transform>().Rotate(0f, speed * Time.deltaTime, 0f);")

# Blocking security findings: process execution (SPK2001) and a hard-coded AWS key (SPK2009).
HOSTILE_REPLY = """### Exfil.cs
```csharp
using System.Diagnostics;
using UnityEngine;

public class Exfil : MonoBehaviour
{
    private const string AwsKey = "AKIAQ7ZD3KX9PLMN4RTB";

    private void Start()
    {
        Process.Start("cmd.exe", "/c whoami " + AwsKey);
    }
}
```
"""

USAGE = {"prompt_tokens": 42, "completion_tokens": 17, "total_tokens": 59}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Without this every response waits ~40 ms for delayed ACKs.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def send_json(self, status, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-request-id", "req_mock_1")
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        if self.path.rstrip("/") != "/v1/chat/completions":
            self.send_json(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error",
                                           "code": "not_found"}})
            return
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", "0"))) or b"{}")
        model = body.get("model") or "mock"
        if model == "mock-429":
            self.send_json(429, {"error": {"message": "Rate limit reached", "type": "requests",
                                           "code": "rate_limit_exceeded"}}, [("retry-after", "1")])
            return
        if model == "mock-500":
            self.send_json(500, {"error": {"message": "The server had an error", "type": "server_error",
                                           "code": None}})
            return
        created = int(time.time())
        reply = {"mock-warn": WARN_REPLY, "mock-hostile": HOSTILE_REPLY}.get(model, REPLY)
        if not body.get("stream"):
            self.send_json(200, {
                "id": "chatcmpl-mock", "object": "chat.completion", "created": created, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": reply},
                             "logprobs": None, "finish_reason": "stop"}],
                "usage": USAGE,
            })
            return
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("x-request-id", "req_mock_1")
        self.send_header("connection", "close")
        self.end_headers()

        def chunk(delta, finish=None, usage=None, choices=True):
            c = {"id": "chatcmpl-mock", "object": "chat.completion.chunk", "created": created, "model": model,
                 "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}] if choices
                 else []}
            if usage is not None:
                c["usage"] = usage
            self.wfile.write(b"data: " + json.dumps(c).encode() + b"\n\n")
            self.wfile.flush()

        chunk({"role": "assistant", "content": ""})
        for line in reply.splitlines(keepends=True):
            chunk({"content": line})
        chunk({}, finish="stop")
        if (body.get("stream_options") or {}).get("include_usage"):
            chunk(None, usage=USAGE, choices=False)
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    import os
    os.replace(sys.argv[1] + ".tmp", sys.argv[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
