"""Python leg of the cross-language validate benchmark.

Same protocol in every language: validate tests/fixtures/bench/ThirdPersonCharacter.cs (300 lines)
through the public client, warm up 200 calls, then 30 batches of 200 calls; the figure is the median
over batches of the per-call mean. Prints one JSON line.

Needs the release build of the binding in the venv:
    (cd spark-py && maturin develop --release) && .venv/bin/python benches/validate_python.py
"""

from __future__ import annotations

import json
import pathlib
import statistics
import sys
import time

import spark

WARMUP = 200
BATCHES = 30
BATCH = 200


def main() -> int:
    if spark.BUILD_PROFILE != "release":
        print("validate_python.py: the spark module is a debug build; run "
              "`maturin develop --release` in spark-py first", file=sys.stderr)
        return 2
    root = pathlib.Path(__file__).resolve().parents[1]
    source = (root / "tests/fixtures/bench/ThirdPersonCharacter.cs").read_text()
    client = spark.Spark({"providers": {"order": ["offline"]}})
    validate = client.validate
    name = "ThirdPersonCharacter.cs"
    for _ in range(WARMUP):
        validate(source, name)
    per_call_us = []
    for _ in range(BATCHES):
        start = time.perf_counter()
        for _ in range(BATCH):
            validate(source, name)
        per_call_us.append((time.perf_counter() - start) * 1e6 / BATCH)
    median = statistics.median(per_call_us)
    print(json.dumps({"lang": "python", "median_us": round(median, 2), "batches": BATCHES, "batch": BATCH},
                     separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
