"""Smoke test of benchmarks/run.py: a tiny run (--quick) exits 0 and prints every row of the
table with a number. No timing is asserted: the benchmarks measure, they do not gate."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
METRICS = [
    *(f"GET c={c} {what}" for c in (1, 8, 64) for what in ("req/s", "p50 ms", "p99 ms", "errors")),
    "bulk 1000 rows JSON",
    "bulk 1000 rows CSV",
    "train over REST, CSV body",
    "train over REST, on the cache",
    "server RSS after the load",
    "server peak RSS",
    "server workers",
    "server processes",
]
NUMBER = r"\d[\d ]*(\.\d+)?"


def test_quick_run_prints_the_table():
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick"],
        cwd=ROOT, capture_output=True, text=True, timeout=170,
    )
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    rows = [line for line in done.stdout.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| metric | value | baseline | ratio | target |")
    for metric in METRICS:
        matching = [row for row in rows if row.startswith(f"| {metric}")]
        assert matching, f"no row for {metric!r} in:\n{done.stdout}"
        value = matching[0].split("|")[2].strip()
        assert re.fullmatch(NUMBER, value), f"{metric}: {value!r} is not a number"
    # The rows with a baseline carry one, and a ratio.
    for metric in ("GET c=64 req/s", "bulk 1000 rows JSON", "bulk 1000 rows CSV",
                   "train over REST, CSV body", "train over REST, on the cache"):
        cells = [c.strip() for c in next(r for r in rows if r.startswith(f"| {metric}")).split("|")]
        assert re.fullmatch(NUMBER, cells[3]), f"{metric}: baseline {cells[3]!r}"
        assert re.fullmatch(NUMBER + "×", cells[4]), f"{metric}: ratio {cells[4]!r}"
    assert "load generator" in done.stdout and "CPU" in done.stdout
