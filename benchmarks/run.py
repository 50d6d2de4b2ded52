"""mlhandler benchmarks (issue 6, point 4): serve examples/titanic from a temporary copy and
measure (a) single-row GET throughput and latency, (b) bulk predict end to end against in-process
parse+predict, (c) train over REST against a raw fit, (d) server memory. Prints a markdown table.

    .venv/bin/python benchmarks/run.py [--duration 10] [--rows 100000] [--workers N] [--write]

Everything runs on 127.0.0.1; every server started here is stopped at the end, on errors and on
Ctrl-C too. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import joblib

import bulk
import loadgen
import report
import train
import wrk
from report import Row
from servers import Server, free_port, hello_command, mlhandler_command, supports_workers

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "examples" / "titanic"
ENDPOINT = "/titanic"  # the example's endpoint, and where its app.yaml keeps its config_dir
CONFIG_DIR = Path("models") / "titanic"
QUERY = "Sex=male&Age=22&SibSp=1&Parch=0&Fare=7.25&Pclass=3&Embarked=S"
TARGETS = {"rps": 4000, "p99_ms": 50, "bulk": 1.5, "train": 1.2}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10, help="seconds per GET load run (default 10)")
    parser.add_argument("--warmup", type=float, default=2, help="unmeasured seconds before each GET run")
    parser.add_argument("--connections", default="1,8,64", help="GET concurrency levels (default 1,8,64)")
    parser.add_argument("--rows", type=int, default=100_000, help="rows per bulk predict (default 100000)")
    parser.add_argument("--repeat", type=int, default=5, help="repetitions of bulk and train (median)")
    parser.add_argument("--workers", type=int, default=1, help="mlhandler serve --workers N")
    parser.add_argument("--builtin", action="store_true", help="use the built-in load generator, not wrk")
    parser.add_argument("--quick", action="store_true",
                        help="smoke-test settings: 1 s runs, 1000 rows, one repetition, built-in generator")
    parser.add_argument("--write", action="store_true", help="also write benchmarks/results.md")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warmup, args.rows, args.repeat, args.builtin = 1, 0.3, 1000, 1, True
    args.connections = [int(c) for c in args.connections.split(",") if c.strip()]
    return args


def load_runner(args: argparse.Namespace):
    if not args.builtin and wrk.available():
        return wrk.run_wrk, f"{wrk.version()} (threads = min(2, connections))"
    if not args.builtin:
        log("note: wrk is not on PATH (apt-get install -y wrk); using the built-in generator")
    return loadgen.run_load, loadgen.generator_name()


def get_runs(runner, url: str, args: argparse.Namespace, levels: list[int]) -> dict[int, loadgen.LoadResult]:
    results = {}
    for connections in levels:
        result = runner(url, connections, args.duration, warmup=args.warmup)
        log(f"GET {url} c={connections}: {result.rps:.0f} req/s, p50 {result.p50_ms:.1f} ms, "
            f"p99 {result.p99_ms:.1f} ms, {result.errors} errors")
        results[connections] = result
    return results


def served_model(config_dir: Path):
    """The fitted model the server serves now, its features, target and options (config.json)."""
    config = json.loads((config_dir / "config.json").read_text())
    info = config["model"]
    schema = info["schema"]
    features = [column["name"] for column in schema["features"]]
    target = schema["target"]["name"] if schema.get("target") else None
    return joblib.load(config_dir / info["path"]), features, target, config.get("opts", {})


def get_rows(gets: dict, hello: loadgen.LoadResult | None, top: int) -> list[Row]:
    rows = []
    for c, result in gets.items():
        base = hello if c == top else None
        at_target = c == 64
        rows += [
            Row(f"GET c={c} req/s", result.rps, "req/s", base.rps if base else None,
                f"≥ {TARGETS['rps']}" if at_target else "", result.rps >= TARGETS["rps"] if at_target else None),
            Row(f"GET c={c} p50 ms", result.p50_ms, "ms", base.p50_ms if base else None),
            Row(f"GET c={c} p99 ms", result.p99_ms, "ms", base.p99_ms if base else None,
                f"≤ {TARGETS['p99_ms']} ms" if at_target else "",
                result.p99_ms <= TARGETS["p99_ms"] if at_target else None),
            Row(f"GET c={c} errors", result.errors, "count", target="0", met=result.errors == 0),
        ]
    return rows


def measure_server(server: Server, app: Path, runner, args: argparse.Namespace):
    # (a) single-row GET
    gets = get_runs(runner, f"{server.base}{ENDPOINT}?{QUERY}", args, args.connections)
    # (b) bulk predict, with the model the server serves now
    model, features, target, opts = served_model(app / CONFIG_DIR)
    frame = bulk.sample_rows(app / "titanic.csv", features, args.rows)
    bulks = bulk.run_bulk(server.port, ENDPOINT, model, frame, target, args.repeat, log)
    # (c) train over REST vs raw fit
    trains = train.run_train(server.port, ENDPOINT, model, (app / "titanic.csv").read_bytes(),
                             features, target, opts, args.repeat, log)
    # (d) memory after all that load
    return gets, bulks, trains, server.memory()


def run(args: argparse.Namespace) -> str:
    load_before = os.getloadavg()
    workers = max(1, args.workers)
    if workers > 1 and not supports_workers():
        log(f"note: `mlhandler serve --help` has no --workers yet; running 1 worker, not {workers}")
        workers = 1
    runner, generator = load_runner(args)
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mlhandler-bench-")))
        app = tmp / "titanic"
        shutil.copytree(EXAMPLE, app, ignore=shutil.ignore_patterns("models", ".mlhandler"))

        port = free_port()
        server = Server("mlhandler serve", mlhandler_command(app / "app.yaml", port, workers), port,
                        f"{ENDPOINT}?{QUERY}", tmp / "server.log")
        stack.callback(server.stop)
        log(f"starting {' '.join(server.command)}")
        started = time.perf_counter()
        server.start()
        log(f"server answered after {time.perf_counter() - started:.1f} s (includes training at startup)")
        try:
            gets, bulks, trains, memory = measure_server(server, app, runner, args)
        except Exception:
            log(f"--- the last lines of the server's log:\n{server.tail()}\n---")
            raise
        server.stop()

        # the ceiling: a bare Starlette endpoint under the same uvicorn, at the top concurrency
        top = max(args.connections)
        hello_port = free_port()
        hello = Server("hello app", hello_command(hello_port, workers), hello_port, "/", tmp / "hello.log")
        stack.callback(hello.stop)
        hello.start()
        hello_result = get_runs(runner, f"{hello.base}/", args, [top])[top]
        hello.stop()

    rows = get_rows(gets, hello_result, top)
    for kind, label in (("json", "JSON"), ("csv", "CSV")):
        b = bulks[kind]
        ok = b["http"] / b["local"] <= TARGETS["bulk"]
        rows.append(Row(f"bulk {args.rows} rows {label} ({b['mb']:.1f} MB) s", b["http"], "s", b["local"],
                        f"≤ {TARGETS['bulk']}×", ok))
    for kind, label in (("body", "CSV body"), ("cache", "on the cache")):
        t = trains[kind]
        rows.append(Row(f"train over REST, {label}, ms", t["http"] * 1000, "ms", t["local"] * 1000,
                        f"≤ {TARGETS['train']}×", t["http"] / t["local"] <= TARGETS["train"]))
    rows += [
        Row("server RSS after the load, MB", memory["rss_mb"], "MB"),
        Row("server peak RSS (largest process), MB", memory["peak_mb"], "MB"),
        Row("server workers", workers, "count"),
        Row("server processes", memory["processes"], "count"),
    ]
    notes = (
        f"GET: {args.duration:g} s per run after {args.warmup:g} s of warm-up; baseline = a bare "
        f"Starlette endpoint at c={top}. Bulk: {args.rows} rows sampled with replacement from "
        f"titanic.csv; baseline = pd.read_json / pd.read_csv(engine='pyarrow') + model.predict in "
        f"process; median of {args.repeat}. Train: median of {args.repeat}; baseline = "
        f"(read_csv +) dropna + drop_duplicates + clone(model).fit."
    )
    machine = report.machine(generator, workers, load_before)
    return f"{report.table(rows)}\n\n{notes}\n\n{machine}\n"


def main(argv: list[str] | None = None) -> int:
    # A plain `kill` stops the servers too: SIGTERM unwinds through the ExitStack like Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args = parse_args(argv)
    try:
        text = run(args)
    except KeyboardInterrupt:
        log("interrupted; servers stopped")
        return 130
    print(text)
    if args.write:
        (HERE / "results.md").write_text(f"# Benchmark results\n\n{text}")
        log(f"wrote {HERE / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
