"""Command line: `mlhandler serve APP.yaml`, `mlhandler plugins`."""

from __future__ import annotations

import argparse
import logging
import sys

from mlhandler.errors import MLHandlerError

log = logging.getLogger("mlhandler")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mlhandler", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the MLHandler endpoints of a YAML file")
    serve.add_argument("yaml", help="the app's YAML file")
    serve.add_argument("--host", help="interface to listen on (default: app.listen.host or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default: app.listen.port or 9988)")
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

    config = load_config(args.yaml)
    app = build_app(config)
    host = args.host or config.host
    port = args.port or config.port
    log.info("serving %d endpoint(s) on http://%s:%d", len(config.endpoints), host, port)
    uvicorn.run(app, host=host, port=port, log_level=args.log_level)
    return 0


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
