"""The HTML page for `GET P`: the default template, or the YAML's own `template` (jinja2)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from mlhandler.jsonsafe import json_safe

PREVIEW_ROWS = 10


@dataclass
class HandlerView:
    """What a user template sees as `handler` (Gramex templates use handler.args/kwargs)."""

    name: str
    pattern: str
    args: dict[str, list[str]]
    kwargs: dict[str, Any]
    endpoint: Any


@lru_cache(maxsize=1)
def _package_env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("mlhandler", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
    )


@lru_cache(maxsize=32)
def _user_template(path: str, mtime: float) -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(Path(path).parent)),
        autoescape=jinja2.select_autoescape(["html"]),
    )
    return env.get_template(Path(path).name)


def render_page(endpoint: Any, context: dict) -> str:
    args = context.get("args", {})
    template_path = endpoint.cfg.template
    if template_path is not None:
        template = _user_template(str(template_path), template_path.stat().st_mtime)
        handler = HandlerView(
            endpoint.name, endpoint.cfg.pattern, args,
            {"config_dir": str(endpoint.cfg.config_dir), "model": endpoint.cfg.model}, endpoint,
        )
        return template.render(handler=handler, data=endpoint.cache)
    return _package_env().get_template("page.html").render(**page_context(endpoint))


def page_context(endpoint: Any) -> dict[str, Any]:
    served = endpoint.served
    info = endpoint.model_info or {}
    schema = served.schema if served else None
    fields = []
    if schema is not None:
        for col in schema.features:
            fields.append({"name": col.name, "family": col.family, "choices": col.categories})
    elif served is not None and hasattr(served.model, "feature_names_in_"):
        fields = [{"name": str(n), "family": "str", "choices": None} for n in served.model.feature_names_in_]
    cache = endpoint.cache
    preview = cache.head(PREVIEW_ROWS)
    score = endpoint.last_score or info.get("result") or {}
    return {
        "name": endpoint.name,
        "pattern": endpoint.cfg.pattern,
        "config": endpoint.configuration(),
        "trained": served is not None,
        "model_class": info.get("class"),
        "trained_at": info.get("trained_at"),
        "target_col": served.opts.target_col if served else endpoint.opts.target_col,
        "fields": fields,
        "columns": [str(c) for c in preview.columns],
        "rows": json_safe(preview.astype(object).where(preview.notna(), None).values.tolist()),
        "total_rows": len(cache),
        "score": {k: v for k, v in score.items() if k in ("score", "metric", "rows")},
    }
