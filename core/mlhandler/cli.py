"""Command line: `mlhandler serve APP.yaml`, `mlhandler plugins`."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from mlhandler.errors import MLHandlerError

log = logging.getLogger("mlhandler")
YAML_ENV = "MLHANDLER_WORKER_YAML"  # tells each worker process which YAML to serve
BLAS_THREADS_ENV = "MLHANDLER_BLAS_THREADS"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mlhandler", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the MLHandler endpoints of a YAML file")
    serve.add_argument("yaml", help="the app's YAML file")
    serve.add_argument("--host", help="interface to listen on (default: app.listen.host or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: app.listen.port or 9988)")
    serve.add_argument("--workers", type=int, default=1,
                       help="server processes sharing the port and each config_dir (default 1)")
    serve.add_argument("--access-log", action="store_true", help="log every request (slower)")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    plugins = sub.add_parser("plugins", help="list installed plugins and what each provides")
    plugins.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, getattr(args, "log_level", "info").upper()),
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.command == "serve":
            return _serve(args)
        return _plugins(args)
    except MLHandlerError as exc:
        # A user mistake: one clear line, no traceback.
        message = " ".join(exc.message.split())  # one line, whatever a library put in it
        print(f"mlhandler: error: {message}", file=sys.stderr)
        return 1


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from mlhandler.app import build_app
    from mlhandler.config import load_config

    if args.workers < 1:
        raise MLHandlerError("--workers must be 1 or more.")
    config = load_config(args.yaml)
    # Start every endpoint here first: a startup error is one line, and startup training happens
    # once. Workers then find config_dir up to date and only load the models.
    app = build_app(config)
    limit_math_threads()  # after build_app: threadpoolctl limits the libraries loaded so far
    host = args.host or config.host
    port = args.port or config.port
    options = {"host": host, "port": port, "log_level": args.log_level, "access_log": args.access_log}
    log.info("serving %d endpoint(s) on http://%s:%d with %d worker(s)",
             len(config.endpoints), host, port, args.workers)
    if args.workers == 1:
        uvicorn.run(app, **options)
        return 0
    del app
    os.environ[YAML_ENV] = str(Path(args.yaml).resolve())
    uvicorn.run("mlhandler.cli:worker_app", factory=True, workers=args.workers, **options)
    return 0


def limit_math_threads() -> None:
    """One BLAS thread per server process (MLHANDLER_BLAS_THREADS to change it). The model work
    of a request is small matrices, where OpenBLAS's thread pools (numpy and scipy each load one)
    cost more in handing work between threads than they save, and fight the event loop and the
    other workers for the cores. Measured: a titanic training takes a third of the time."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=int(os.environ.get(BLAS_THREADS_ENV, "1")), user_api="blas")


def worker_app():
    """The app of one `--workers` process (uvicorn imports this by name in each)."""
    from mlhandler.app import build_app
    from mlhandler.config import load_config

    limit_math_threads()

    return WorkerHeader(build_app(load_config(os.environ[YAML_ENV])))


class WorkerHeader:
    """Names the worker process in an `X-MLHandler-Worker` header, so that a client (or a test)
    can tell which process answered."""

    def __init__(self, app):
        self.app = app
        self.header = (b"x-mlhandler-worker", str(os.getpid()).encode())

    def __getattr__(self, name):  # app.state and friends
        return getattr(self.app, name)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_header(message):
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), self.header]
            await send(message)

        return await self.app(scope, receive, send_with_header)


def _plugins(args: argparse.Namespace) -> int:
    import orjson

    from mlhandler.plugins import Registry, get_plugin_manager

    infos = Registry(get_plugin_manager()).describe()
    if args.json:
        print(orjson.dumps([i.__dict__ for i in infos], option=orjson.OPT_INDENT_2).decode())
        return 0
    for info in infos:
        print(f"{info.name} ({info.distribution} {info.version})" if info.version else f"{info.name} {info.distribution}")
        for label, names in (("estimators", info.estimators), ("transforms", info.transforms),
                             ("renderers", info.renderers), ("hooks", info.hooks)):
            if names:
                shown = ", ".join(names[:12]) + (f", … ({len(names)} in all)" if len(names) > 12 else "")
                print(f"  {label}: {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
