"""Per-call latency of `spark.Spark.generate` next to the official `openai` SDK and
`litellm.completion`, all three calling the same loopback OpenAI-compatible mock.

The mock (spark-py/tests/mock_openai.py) answers every request with the same non-streaming
`chat.completion` JSON holding a small C# script (spark asks with `stream: true` and accepts a
JSON answer), with Nagle disabled. spark runs its whole pipeline per call (guards, request, reply
extraction, validation of the script) with the cache bypassed (`no_cache=True`) and repair off;
the SDKs only make the HTTP call and parse the JSON. Each client sends the same messages. The
clients take turns in rounds so that machine noise hits them alike; the figure is the median of
all per-call times.

    .venv/bin/pip install -r benches/requirements-bench.txt
    (cd spark-py && maturin develop --release)
    .venv/bin/python benches/py_generate_vs_sdks.py [--calls 300]
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import sys
import time
from collections.abc import Callable

# Before litellm is imported: use the bundled model price map instead of fetching one.
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "spark-py" / "tests"))

from mock_openai import MockServer  # noqa: E402

import spark  # noqa: E402

PROMPT = "a cube that spins around its vertical axis"
MODEL = "gpt-4o-mini"
KEY = "sk-bench-not-a-real-key"


def make_clients(base_url: str) -> dict[str, Callable[[], object]]:
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

    clients: dict[str, Callable[[], object]] = {"spark.generate": run_spark}

    try:
        import openai

        oa = openai.OpenAI(base_url=base_url, api_key=KEY, max_retries=0)

        def run_openai() -> object:
            r = oa.chat.completions.create(model=MODEL, messages=messages)  # type: ignore[arg-type]
            assert r.choices[0].message.content
            return r

        clients["openai.chat.completions.create"] = run_openai
    except ImportError:
        print("openai is not installed (pip install -r benches/requirements-bench.txt)", file=sys.stderr)

    try:
        import litellm

        def run_litellm() -> object:
            r = litellm.completion(model=f"openai/{MODEL}", api_base=base_url, api_key=KEY, messages=messages,
                                   max_retries=0)
            assert r.choices[0].message.content
            return r

        clients["litellm.completion"] = run_litellm
    except ImportError:
        print("litellm is not installed (pip install -r benches/requirements-bench.txt)", file=sys.stderr)
    return clients


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=300, help="measured calls per client (default 300)")
    parser.add_argument("--warmup", type=int, default=30, help="warm-up calls per client (default 30)")
    parser.add_argument("--rounds", type=int, default=10, help="turns the clients take (default 10)")
    args = parser.parse_args()
    if spark.BUILD_PROFILE != "release":
        print("the spark module is a debug build; run `maturin develop --release` in spark-py first",
              file=sys.stderr)
        return 2

    server = MockServer().start()
    server.json_only = True
    try:
        clients = make_clients(server.base_url)
        for run in clients.values():
            for _ in range(args.warmup):
                run()
        times: dict[str, list[float]] = {name: [] for name in clients}
        per_round = max(1, args.calls // args.rounds)
        for _ in range(args.rounds):
            for name, run in clients.items():
                for _ in range(per_round):
                    start = time.perf_counter()
                    run()
                    times[name].append((time.perf_counter() - start) * 1e6)
    finally:
        server.stop()

    base = statistics.median(times["spark.generate"])
    print(f"{'client':<34}{'median µs':>12}{'p90 µs':>12}{'× spark':>10}")
    rows = []
    for name, samples in times.items():
        samples.sort()
        med = statistics.median(samples)
        p90 = samples[int(len(samples) * 0.9) - 1]
        print(f"{name:<34}{med:>12.0f}{p90:>12.0f}{med / base:>10.2f}")
        rows.append({"client": name, "median_us": round(med, 1), "p90_us": round(p90, 1),
                     "ratio_to_spark": round(med / base, 2), "calls": len(samples)})
    print(json.dumps({"bench": "py_generate_vs_sdks", "results": rows}, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
