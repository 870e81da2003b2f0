#!/usr/bin/env python3
"""Loopback OpenAI-compatible server that answers hostile model replies, one per scenario.

Every binding's hostile suite (Rust, Python, Node, C, C#) talks to this one server, so all of
them see the same bytes. The scenario is the first path segment of the request
(`base_url = http://127.0.0.1:PORT/<scenario>/v1`) or, for a plain `/v1/...` path, the request's
`model`. The scenarios and their expected outcomes are listed in `scenarios.json` beside this file.

Streams exactly as OpenAI's `chat.completions` with `stream: true`: a chunked 200 with
`data: {chat.completion.chunk}` events, a usage-only chunk when `stream_options.include_usage` is
set, then `data: [DONE]`. A request without `stream` gets one JSON `chat.completion`.

Usage: mock.py PORT_FILE [MAX_LIFETIME_SECONDS]
Binds 127.0.0.1 on a free port and writes it to PORT_FILE. Exits when its parent process dies or
after MAX_LIFETIME_SECONDS (default 900), so a crashed test runner never leaves it behind.
"""

import json
import os
import select
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MiB = 1024 * 1024
SCENARIOS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scenarios.json")


def dumps(obj, ensure_ascii=True):
    """Compact JSON, as OpenAI sends it."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=ensure_ascii)


def block(name, body):
    """One `### name` heading and a fenced C# block."""
    return f"### {name}\n\n```csharp\n{body}\n```\n\n"


def behaviour(cls):
    return f"using UnityEngine;\n\npublic class {cls} : MonoBehaviour\n{{\n    private void Start() {{ }}\n}}"


def if_parens():
    return "Here you go.\n\n" + block("Player.cs", "#if " + "(" * 100_000 + "\n" + behaviour("Player") + "\n#endif")


def interp_nesting():
    return "Here you go.\n\n" + block("Player.cs", 'public class Player { string s = ' + '$"{' * 100_000 + "; }")


def dup_names(n):
    return "".join(block("Player.cs", behaviour("Player")) for _ in range(n))


def tiny_blocks():
    return "".join(f"```csharp\nclass T{i} {{ }}\n```\n" for i in range(5000))


def fence_in_string():
    body = (
        "using UnityEngine;\n\npublic class Player : MonoBehaviour\n{\n"
        '    private const string Fence = "```";\n'
        '    private const string Block = "```csharp\\n```";\n'
        "    private void Start() { Debug.Log(Fence + Block); }\n}"
    )
    return "Here you go.\n\n" + block("Player.cs", body) + "That is all.\n"


def named(name, cls):
    return "Here you go.\n\n" + block(name, behaviour(cls))


def big_pieces(total):
    """About `total` bytes of one fenced block, as pieces (never one 50 MB string)."""
    yield "### Big.cs\n\n```csharp\nusing UnityEngine;\n\npublic class Big : MonoBehaviour\n{\n"
    line = "    // " + "x" * 120 + "\n"
    per_piece = line * 64
    sent = 0
    while sent < total:
        yield per_piece
        sent += len(per_piece)
    yield "}\n```\n"


TEXT = {
    "if_parens": if_parens,
    "interp_nesting": interp_nesting,
    "dup_names_1000": lambda: dup_names(1000),
    "dup_names_2000": lambda: dup_names(2000),
    "tiny_blocks_5000": tiny_blocks,
    "fence_in_string": fence_in_string,
    "path_dotdot": lambda: named("../../../../home/user/.bashrc.cs", "Bashrc"),
    "path_absolute": lambda: named("/etc/cron.d/x.cs", "Cron"),
    "path_unc": lambda: named("//server/share/x.cs", "Share"),
    "path_bidi": lambda: named("Player\u202egnp.cs", "Player"),
}


def pieces_of(text, size):
    for i in range(0, len(text), size):
        yield text[i : i + size]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Without this every response waits ~40 ms for delayed ACKs.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    # -- wire helpers -------------------------------------------------------------------------

    def send_json(self, status, body):
        data = dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-request-id", "req_hostile")
        self.end_headers()
        self.wfile.write(data)

    def start_sse(self):
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.send_header("x-request-id", "req_hostile")
        self.end_headers()
        self.wfile.flush()

    def raw_chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def chunk_obj(self, delta, finish=None):
        return {
            "id": "chatcmpl-hostile",
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": "fp_hostile",
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }

    def event(self, obj):
        self.raw_chunk(b"data: " + dumps(obj).encode() + b"\n\n")

    def content(self, text):
        self.event(self.chunk_obj({"content": text}))

    def finish_stream(self, completion_tokens=17):
        self.event(self.chunk_obj({}, "stop"))
        if self.include_usage:
            self.event({
                "id": "chatcmpl-hostile", "object": "chat.completion.chunk", "created": self.created,
                "model": self.model, "system_fingerprint": "fp_hostile", "choices": [],
                "usage": {"prompt_tokens": 42, "completion_tokens": completion_tokens,
                          "total_tokens": 42 + completion_tokens},
            })
        self.raw_chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def completion(self, text):
        self.send_json(200, {
            "id": "chatcmpl-hostile", "object": "chat.completion", "created": self.created, "model": self.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text, "refusal": None},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 42, "completion_tokens": 17, "total_tokens": 59},
        })

    def stream_text(self, pieces):
        self.start_sse()
        self.event(self.chunk_obj({"role": "assistant", "content": "", "refusal": None}))
        for p in pieces:
            self.content(p)
        self.finish_stream()

    def hold_until_client_leaves(self, seconds=60):
        """Sends nothing more; returns when the client closes the connection (or after `seconds`)."""
        deadline = time.monotonic() + seconds
        conn = self.connection
        while time.monotonic() < deadline:
            readable, _, _ = select.select([conn], [], [], 0.2)
            if readable:
                try:
                    if conn.recv(1, socket.MSG_PEEK) == b"":
                        return
                except OSError:
                    return

    # -- routing ------------------------------------------------------------------------------

    def do_POST(self):
        self.close_connection = True
        length = int(self.headers.get("content-length", "0"))
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            body = {}
        segments = [s for s in self.path.split("/") if s]
        if segments[-2:] != ["chat", "completions"]:
            return self.send_json(404, {"error": {"message": f"no route {self.path}",
                                                  "type": "invalid_request_error", "code": "not_found"}})
        scenario = segments[0] if len(segments) > 3 else str(body.get("model", ""))
        self.model = str(body.get("model") or scenario)
        self.created = int(time.time())
        self.include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        stream = bool(body.get("stream"))
        try:
            self.serve(scenario, stream)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, socket.timeout):
            pass  # the client gave up (size limit, timeout): expected in several scenarios

    def serve(self, scenario, stream):
        if scenario == "empty_json":
            return self.completion("")
        if scenario == "empty_stream":
            if not stream:
                return self.completion("")
            self.start_sse()
            self.event(self.chunk_obj({"role": "assistant", "content": "", "refusal": None}))
            return self.finish_stream(completion_tokens=0)
        if scenario == "big_50mb":
            if not stream:
                return self.completion("".join(big_pieces(50 * MiB)))
            return self.stream_text(big_pieces(50 * MiB))
        if scenario == "invalid_utf8":
            return self.invalid_utf8(stream)
        if scenario in ("dropped", "reset"):
            return self.dropped(rst=scenario == "reset")
        if scenario == "stall":
            self.start_sse()
            self.event(self.chunk_obj({"role": "assistant", "content": "", "refusal": None}))
            self.content("### Player.cs\n\n```csharp\nusing UnityEngine;\n")
            return self.hold_until_client_leaves()
        if scenario == "stall_headers":
            self.start_sse()
            return self.hold_until_client_leaves()
        make = TEXT.get(scenario)
        if make is None:
            return self.send_json(404, {"error": {"message": f"unknown scenario {scenario!r}",
                                                  "type": "invalid_request_error", "code": "model_not_found"}})
        text = make()
        if not stream:
            return self.completion(text)
        # Small pieces for small replies, so fences and names straddle event boundaries.
        size = 7 if len(text) < 4096 else 8192
        return self.stream_text(pieces_of(text, size))

    def invalid_utf8(self, stream):
        text = named("Player.cs", "Player").replace("private void Start()", "// MARK\n    private void Start()")
        head, tail = text.split("MARK")
        if not stream:
            data = dumps({
                "id": "chatcmpl-hostile", "object": "chat.completion", "created": self.created, "model": self.model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "@@BAD@@"},
                             "finish_reason": "stop"}],
            }).encode().replace(b"@@BAD@@", head.encode() + b"\xff\xfe\xc3\x28\xed\xa0\x80" + tail.encode())
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return None
        self.start_sse()
        self.event(self.chunk_obj({"role": "assistant", "content": "", "refusal": None}))
        self.content(head)
        # Bytes that are not UTF-8 (a lone continuation byte, an overlong lead, a surrogate).
        bad = dumps(self.chunk_obj({"content": "@@BAD@@"})).encode()
        bad = bad.replace(b"@@BAD@@", b"\xff\xfe \xc3\x28 \xed\xa0\x80 \xc0\xaf")
        self.raw_chunk(b"data: " + bad + b"\n\n")
        # A valid two-byte character split across two writes (and two HTTP chunks).
        event = b"data: " + dumps(self.chunk_obj({"content": "\u00e9 "}), ensure_ascii=False).encode() + b"\n\n"
        cut = event.index("\u00e9".encode()) + 1
        self.raw_chunk(event[:cut])
        self.raw_chunk(event[cut:])
        self.content(tail)
        return self.finish_stream()

    def dropped(self, rst):
        self.start_sse()
        self.event(self.chunk_obj({"role": "assistant", "content": "", "refusal": None}))
        for p in pieces_of("Here you go.\n\n### Player.cs\n\n```csharp\nusing UnityEngine;\n\npublic class", 9):
            self.content(p)
        time.sleep(0.1)
        conn = self.connection
        if rst:
            # SO_LINGER 0: close() sends a TCP RST instead of a FIN.
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        else:
            conn.shutdown(socket.SHUT_RDWR)
        conn.close()


def watch_parent(parent, max_lifetime):
    deadline = time.monotonic() + max_lifetime
    while time.monotonic() < deadline:
        if os.getppid() != parent:
            os._exit(0)
        time.sleep(0.25)
    os._exit(0)


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: mock.py PORT_FILE [MAX_LIFETIME_SECONDS]")
    port_file = sys.argv[1]
    max_lifetime = float(sys.argv[2]) if len(sys.argv) > 2 else 900.0
    threading.Thread(target=watch_parent, args=(os.getppid(), max_lifetime), daemon=True).start()
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 64
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, port_file)  # readers never see a half-written port
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
