"""Run `wrk` (https://github.com/wg/wrk) and parse what it prints into a LoadResult."""

from __future__ import annotations

import re
import shutil
import subprocess

from loadgen import LoadResult

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def available() -> bool:
    return shutil.which("wrk") is not None


def version() -> str:
    # `wrk -v` prints its version and usage, and exits with status 1.
    out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10)
    first = (out.stdout or out.stderr).splitlines()
    return first[0].split(" [")[0] if first else "wrk"


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)([a-z]+)", text).groups()
    return float(number) * UNITS[unit]


def parse(output: str, connections: int) -> LoadResult:
    """Requests/sec counts every answer, so errors (non-2xx, socket errors and timeouts, which
    wrk leaves out of its latencies) are subtracted from the count of requests."""
    percentile = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.M))
    total, seconds = re.search(r"(\d+) requests in ([\d.]+\w+),", output).groups()
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = (sum(map(int, socket.groups())) if socket else 0) + (int(non2xx.group(1)) if non2xx else 0)
    answered_errors = int(non2xx.group(1)) if non2xx else 0
    if not percentile:
        raise RuntimeError(f"wrk printed no latency distribution:\n{output}")
    return LoadResult(
        connections=connections,
        seconds=_ms(seconds) / 1000,
        requests=int(total) - answered_errors,
        errors=errors,
        p50_ms=_ms(percentile["50"]),
        p99_ms=_ms(percentile["99"]),
    )


def run_wrk(url: str, connections: int, duration: float, warmup: float = 1.0,
            timeout: float = 10.0) -> LoadResult:
    """wrk with min(2, connections) threads for `duration` seconds, after a `warmup` run that is
    not measured. A request unanswered after `timeout` seconds is an error."""
    threads = min(2, connections)

    def call(seconds: float) -> str:
        command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
                   f"--timeout={timeout:g}s", "--latency", url]
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + timeout + 30)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {done.stderr or done.stdout}")
        return done.stdout

    if warmup > 0:
        call(warmup)
    return parse(call(duration), connections)
