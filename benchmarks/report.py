"""The results table and a description of the machine it was measured on."""

from __future__ import annotations

import datetime
import importlib.util
import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Row:
    metric: str
    value: float
    unit: str  # how to print the numbers: "req/s", "ms", "s", "MB", "count"
    baseline: float | None = None
    target: str = ""  # e.g. "≥ 4000", "≤ 50 ms", "≤ 1.5×"
    met: bool | None = None  # whether the target is met

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline else None


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if value != value:  # NaN: nothing was measured
        return "n/a"
    if unit in ("req/s", "count"):
        return f"{value:,.0f}".replace(",", " ")
    if unit == "ms":
        return f"{value:.1f}"
    if unit == "s":
        return f"{value:.3f}"
    return f"{value:.0f}"


def table(rows: list[Row]) -> str:
    lines = ["| metric | value | baseline | ratio | target |", "| --- | ---: | ---: | ---: | --- |"]
    for row in rows:
        ratio = f"{row.ratio:.2f}×" if row.ratio is not None else "–"
        target = row.target + ({True: " ✓", False: " ✗", None: ""}[row.met] if row.target else "")
        lines.append(f"| {row.metric} | {fmt(row.value, row.unit)} | {fmt(row.baseline, row.unit)} "
                     f"| {ratio} | {target or '–'} |")
    return "\n".join(lines)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git(*args: str) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10)
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "not installed"


def machine(load_generator: str, workers: int, load_before: tuple[float, float, float]) -> str:
    commit = _git("rev-parse", "--short", "HEAD") or "unknown"
    if _git("status", "--porcelain", "--untracked-files=no"):
        commit += " + uncommitted changes"
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    items = [
        ("date", datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("CPU", f"{cpu_model()}, {os.cpu_count()} cores"),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
        ("server", f"mlhandler {_version('mlhandler')} at {commit}; uvicorn {_version('uvicorn')} "
                   f"(loop {loop}, http {http}), starlette {_version('starlette')}; {workers} worker(s)"),
        ("load generator", f"{load_generator}, on the same machine"),
        ("load average before the run", " ".join(f"{x:.2f}" for x in load_before)),
    ]
    return "\n".join(f"- {name}: {value}" for name, value in items)
