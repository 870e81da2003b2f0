"""Per-call latency of `spark.Spark.generate` on a 300-line script reply next to the official
`openai` SDK's `client.chat.completions.create` on the same reply, both calling the same loopback
OpenAI-compatible mock (spark-py/tests/mock_openai.py), in the same process and run.

Two wire modes, each client in each:
- `json`: the mock answers every request with one `chat.completion` JSON (spark asks with
  `stream: true` and accepts it; the SDK call is the plain `create`);
- `sse`: the mock streams `chat.completion.chunk` events; the SDK call is `create(stream=True)`
  with the chunks' text joined, spark streams as always.

spark runs its whole pipeline per call (guards, HTTP, SSE or JSON decoding, extraction, the full
validation of the script, which SDKs do not do) with the cache bypassed and repair off. Clients
take turns in rounds so machine noise hits them alike; the figures are medians of all calls.

    python3 -m venv .venv && .venv/bin/pip install openai maturin
    (cd spark-py && ../.venv/bin/maturin develop --release)
    .venv/bin/python benches/openai_sdk.py [--calls 200]
"""

from __future__ import annotations

import argparse
import json
import pathlib
import statistics
import sys
import time
from collections.abc import Callable

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "spark-py" / "tests"))

from mock_openai import MockServer  # noqa: E402

import spark  # noqa: E402

SCRIPT = (ROOT / "tests" / "fixtures" / "bench" / "ThirdPersonCharacter.cs").read_text()
REPLY = "Here is the script.\n\n### ThirdPersonCharacter.cs\n\n```csharp\n" + SCRIPT + "```\n"
PROMPT = "a third person character controller with stamina"
MODEL = "gpt-4o-mini"
KEY = "sk-bench-not-a-real-key"


def make_clients(base_url: str, stream: bool) -> dict[str, Callable[[], object]]:
    client = spark.Spark({
        "providers": {"order": ["openai"]},
        "openai": {"base_url": base_url, "api_key": KEY, "model": MODEL},
        "retry": {"max_attempts": 1},
        "rate_limit": {"enabled": False},
    })
    messages = [
        {"role": "system", "content": client.system_prompt},
        {"role": "user", "content": f"Write the Unity C# script(s) for this request.\n<request>\n{PROMPT}\n</request>"},
    ]

    def run_spark() -> object:
        out = client.generate(PROMPT, no_cache=True, repair_rounds=0)
        assert out.files and out.provider == "openai", out
        return out

    import openai

    oa = openai.OpenAI(base_url=base_url, api_key=KEY, max_retries=0)

    def run_openai() -> object:
        if stream:
            chunks = oa.chat.completions.create(model=MODEL, messages=messages, stream=True)  # type: ignore[arg-type]
            text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        else:
            r = oa.chat.completions.create(model=MODEL, messages=messages)  # type: ignore[arg-type]
            text = r.choices[0].message.content or ""
        assert len(text) == len(REPLY), len(text)
        return text

    return {"spark.generate": run_spark, "openai.chat.completions.create": run_openai}


def measure(stream: bool, calls: int, warmup: int, rounds: int) -> dict[str, list[float]]:
    server = MockServer().start()
    server.reply = REPLY
    server.json_only = not stream
    try:
        clients = make_clients(server.base_url, stream)
        for run in clients.values():
            for _ in range(warmup):
                run()
        times: dict[str, list[float]] = {name: [] for name in clients}
        per_round = max(1, calls // rounds)
        for _ in range(rounds):
            for name, run in clients.items():
                for _ in range(per_round):
                    start = time.perf_counter()
                    run()
                    times[name].append((time.perf_counter() - start) * 1e6)
                # The mock keeps every request: forget them so memory stays flat.
                server.requests.clear()
    finally:
        server.stop()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200, help="measured calls per client and mode (default 200)")
    parser.add_argument("--warmup", type=int, default=20, help="warm-up calls per client (default 20)")
    parser.add_argument("--rounds", type=int, default=10, help="turns the clients take (default 10)")
    args = parser.parse_args()
    if spark.BUILD_PROFILE != "release":
        print("the spark module is a debug build; run `maturin develop --release` in spark-py first",
              file=sys.stderr)
        return 2
    print(f"reply: {len(REPLY.splitlines())} lines, {len(REPLY)} bytes")
    rows = []
    for mode in ("json", "sse"):
        times = measure(mode == "sse", args.calls, args.warmup, args.rounds)
        base = statistics.median(times["openai.chat.completions.create"])
        for name, samples in times.items():
            samples.sort()
            med = statistics.median(samples)
            p90 = samples[int(len(samples) * 0.9) - 1]
            print(f"{mode:<5}{name:<34}{med:>10.0f} µs median{p90:>10.0f} µs p90{med / base:>8.2f} × openai")
            rows.append({"mode": mode, "client": name, "median_us": round(med, 1), "p90_us": round(p90, 1),
                         "ratio_to_openai": round(med / base, 2), "calls": len(samples)})
    print(json.dumps({"bench": "openai_sdk", "results": rows}, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
