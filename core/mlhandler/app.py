"""The Starlette application: one route per endpoint, and one error handler for every error."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import pluggy
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mlhandler.config import AppConfig
from mlhandler.endpoint import Endpoint
from mlhandler.errors import ConfigError, MLHandlerError
from mlhandler.handler import EndpointHandler
from mlhandler.jsonsafe import dumps
from mlhandler.plugins import Registry, get_plugin_manager

log = logging.getLogger("mlhandler")


def build_app(config: AppConfig, pm: pluggy.PluginManager | None = None) -> Starlette:
    """Build every endpoint (loading or training its model) and the app that serves them.
    Raises ConfigError for any startup problem."""
    registry = Registry(pm or get_plugin_manager())
    endpoints = [Endpoint(cfg, registry) for cfg in config.endpoints]
    for endpoint in endpoints:
        endpoint.startup()
    routes = [
        Route(
            ep.cfg.pattern,
            EndpointHandler(ep, registry, config.max_body_bytes).dispatch,
            methods=["GET", "POST", "PUT", "DELETE"],
            name=ep.name,
        )
        for ep in endpoints
    ]
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        watcher = asyncio.create_task(_watch(endpoints, config.sync_seconds))
        yield
        watcher.cancel()
        for endpoint in endpoints:  # let a running training finish; drop queued ones
            endpoint.executor.shutdown(wait=True, cancel_futures=True)

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            MLHandlerError: _domain_error,
            HTTPException: _http_error,
            Exception: _unexpected_error,
        },
    )
    app.state.endpoints = {ep.name: ep for ep in endpoints}
    app.state.registry = registry
    app.state.config = config
    return app


async def _watch(endpoints: list[Endpoint], seconds: float) -> None:
    """Serve what other processes commit to the same config_dirs (`mlhandler serve --workers N`):
    a stat of each config.json every `seconds`, and a reload when one was replaced."""
    while True:
        await asyncio.sleep(seconds)
        results = await asyncio.gather(*(ep.refresh() for ep in endpoints), return_exceptions=True)
        for endpoint, result in zip(endpoints, results, strict=True):
            if isinstance(result, Exception):
                log.warning("%s: could not load what another process committed: %s", endpoint.name, result)


def json_response(payload: Any, status: int = 200) -> Response:
    return Response(dumps(payload), status_code=status, media_type="application/json")


async def _domain_error(request: Request, exc: MLHandlerError) -> Response:
    status = 400 if isinstance(exc, ConfigError) and exc.status >= 500 else exc.status
    return json_response(exc.to_json(), status)


async def _http_error(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 405:
        message = f"{request.method} is not supported here; use GET, POST, PUT or DELETE."
    elif exc.status_code == 404:
        message = f"No endpoint at {request.url.path}; check the pattern in the YAML."
    else:
        message = str(exc.detail)
    return json_response({"error": message}, exc.status_code)


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    log.exception("Unexpected error on %s %s", request.method, request.url)
    return json_response(
        {"error": f"Internal error ({type(exc).__name__}: {exc}). This is a bug in mlhandler."},
        500,
    )

