"""Load and validate the YAML: Gramex-style `url:` entries with `handler: MLHandler`."""

from __future__ import annotations

import logging
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mlhandler.errors import ConfigError
from mlhandler.options import OPTION_NAMES

log = logging.getLogger("mlhandler")

DEFAULT_PORT = 9988
DEFAULT_HOST = "127.0.0.1"
DEFAULT_MAX_BODY_MB = 100

APP_KEYS = {"listen", "data_dir", "max_body_mb", "browser", "settings"}
LISTEN_KEYS = {"host", "port"}
URL_KEYS = {"pattern", "handler", "kwargs"}
# Keys of a Gramex url: entry that mean nothing here: accepted with a warning.
GRAMEX_URL_KEYS = {"priority", "cache", "auth", "log", "name", "redirect", "xsrf_cookies", "error"}
KWARG_KEYS = {"config_dir", "data", "model", "template", "batch"}
GRAMEX_KWARG_KEYS = {
    "xsrf_cookies", "headers", "auth", "cache", "error", "methods", "redirect", "set_xsrf",
    "log", "transform", "backend", "cors", "session", "kwargs", "ratelimit", "debug",
}
DATA_KEYS = {"url", "ext", "table", "query", "transform", "sheet_name"}
MODEL_KEYS = {"class", "params", "path"} | set(OPTION_NAMES)

VARIABLE = re.compile(r"\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


@dataclass
class DataSource:
    url: str
    ext: str | None = None
    table: str | None = None
    query: str | None = None
    transform: Any = None
    sheet_name: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class BatchSettings:
    """Micro-batching of concurrent GET predictions (`kwargs.batch`). `max_wait_ms: 0` adds no
    latency: a batch is whatever arrived while the previous one ran."""

    enabled: bool = True
    max_batch_size: int = 256
    max_wait_ms: float = 0.0


@dataclass
class EndpointConfig:
    name: str
    pattern: str
    config_dir: Path
    yaml_dir: Path
    data: DataSource | None = None
    model: dict[str, Any] = field(default_factory=dict)
    template: Path | None = None
    batch: BatchSettings = field(default_factory=lambda: BatchSettings())
    # The model and data sections as written, before $VARIABLES are substituted: what is
    # remembered between starts, so that moving the folder or rotating a secret in an
    # environment variable is not taken for an edit, and no secret is written to config_dir.
    written: dict[str, Any] = field(default_factory=dict)

    @property
    def model_class(self) -> str | None:
        return self.model.get("class")

    @property
    def model_opts(self) -> dict[str, Any]:
        return {k: v for k, v in self.model.items() if k in OPTION_NAMES}

    @property
    def model_params(self) -> dict[str, Any]:
        return dict(self.model.get("params") or {})


@dataclass
class AppConfig:
    yaml_path: Path
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    data_dir: Path = Path(".mlhandler")
    max_body_mb: float = DEFAULT_MAX_BODY_MB
    # How often each process checks for commits by another process serving the same config_dir.
    sync_seconds: float = 0.25
    endpoints: list[EndpointConfig] = field(default_factory=list)

    @property
    def max_body_bytes(self) -> int:
        return int(self.max_body_mb * 1024 * 1024)


def load_config(path: str | Path, env: dict[str, str] | None = None) -> AppConfig:
    """Read, substitute and validate a YAML file. Raises ConfigError for every user mistake."""
    path = Path(path).resolve()
    if not path.is_file():
        raise ConfigError(f"Config file {path} does not exist.")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path} is not valid YAML{where}: {problem}.") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} must be a mapping with a `url:` section.")
    yaml_dir = path.parent
    variables = dict(os.environ if env is None else env)
    variables.update(YAMLPATH=str(yaml_dir), YAMLURL="", YAMLFILE=str(path))
    written = raw
    raw = substitute(raw, variables, where=path.name)
    _import_path(yaml_dir)
    for key in raw:
        if key not in ("app", "url"):
            log.warning("%s: ignoring top-level section %r (not used by mlhandler)", path.name, key)
    app = _app_section(raw.get("app") or {}, path)
    urls = raw.get("url") or {}
    if not isinstance(urls, dict):
        raise ConfigError(f"{path.name}: `url:` must be a mapping of endpoint names to entries.")
    patterns: dict[str, str] = {}
    config_dirs: dict[Path, str] = {}
    for name, entry in urls.items():
        endpoint = _endpoint(str(name), entry, app, path)
        if endpoint is None:
            continue
        kwargs = (written.get("url") or {}).get(name, {}).get("kwargs") or {}
        endpoint.written = {"model": kwargs.get("model") or {}, "data": kwargs.get("data")}
        if endpoint.pattern in patterns:
            raise ConfigError(
                f"url.{name}: pattern {endpoint.pattern!r} is already used by url."
                f"{patterns[endpoint.pattern]}; give each endpoint its own pattern."
            )
        folder = endpoint.config_dir.resolve()
        if folder in config_dirs:
            # Each endpoint commits its own config.json there: sharing would lose changes.
            raise ConfigError(
                f"url.{name}: config_dir {folder} is already used by url.{config_dirs[folder]}; "
                f"give each endpoint its own config_dir."
            )
        patterns[endpoint.pattern] = name
        config_dirs[folder] = name
        app.endpoints.append(endpoint)
    if not app.endpoints:
        raise ConfigError(f"{path.name} has no `url:` entry with `handler: MLHandler`.")
    return app


def substitute(value: Any, variables: dict[str, str], where: str) -> Any:
    """Replace $NAME, ${NAME}, $YAMLPATH, $YAMLURL in every string; `$$` is a literal `$`."""
    if isinstance(value, dict):
        return {k: substitute(v, variables, where) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, variables, where) for v in value]
    if not isinstance(value, str) or "$" not in value:
        return value

    def replace(match: re.Match) -> str:
        if match.group(1) == "$":
            return "$"
        name = match.group(2) or match.group(3)
        if name not in variables:
            raise ConfigError(
                f"{where}: ${name} is not defined; set the environment variable {name} "
                f"or write the value in the YAML."
            )
        return variables[name]

    return VARIABLE.sub(replace, value)


def _import_path(yaml_dir: Path) -> None:
    # Modules next to the YAML are importable by dotted name, as in Gramex.
    if str(yaml_dir) not in sys.path:
        sys.path.insert(0, str(yaml_dir))


def _check_keys(section: dict, allowed: set[str], where: str, ignored: set[str] = frozenset()) -> None:
    for key in section:
        if key in ignored:
            log.warning("%s: ignoring %r (a Gramex option mlhandler does not use)", where, key)
        elif key not in allowed:
            raise ConfigError(
                f"{where}: unknown key {key!r}; allowed keys are {sorted(allowed)}.",
            )


def _app_section(section: dict, path: Path) -> AppConfig:
    if not isinstance(section, dict):
        raise ConfigError(f"{path.name}: `app:` must be a mapping.")
    _check_keys(section, APP_KEYS, "app", ignored={"browser", "settings"})
    listen = section.get("listen") or {}
    _check_keys(listen, LISTEN_KEYS, "app.listen")
    app = AppConfig(yaml_path=path)
    app.host = str(listen.get("host", DEFAULT_HOST))
    try:
        app.port = int(listen.get("port", DEFAULT_PORT))
        app.max_body_mb = float(section.get("max_body_mb", DEFAULT_MAX_BODY_MB))
    except (TypeError, ValueError):
        raise ConfigError("app.listen.port and app.max_body_mb must be numbers.") from None
    data_dir = Path(section.get("data_dir", ".mlhandler"))
    app.data_dir = data_dir if data_dir.is_absolute() else path.parent / data_dir
    return app


def _endpoint(name: str, entry: Any, app: AppConfig, path: Path) -> EndpointConfig | None:
    where = f"url.{name}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where} must be a mapping with pattern, handler and kwargs.")
    handler = entry.get("handler")
    if handler != "MLHandler":
        log.warning("%s: skipping handler %r (mlhandler serves only MLHandler)", where, handler)
        return None
    _check_keys(entry, URL_KEYS, where, ignored=GRAMEX_URL_KEYS)
    pattern = entry.get("pattern")
    if not isinstance(pattern, str) or not pattern.strip():
        raise ConfigError(f"{where}: `pattern:` is required, e.g. pattern: /$YAMLURL/{name}.")
    pattern = "/" + re.sub(r"/+", "/", pattern.strip()).strip("/")
    if re.search(r"[()\[\]*+?^$\\|{}]", pattern):
        raise ConfigError(
            f"{where}: pattern {pattern!r} is a regular expression; mlhandler serves literal "
            f"paths such as /{name}."
        )
    kwargs = entry.get("kwargs") or {}
    if not isinstance(kwargs, dict):
        raise ConfigError(f"{where}.kwargs must be a mapping.")
    _check_keys(kwargs, KWARG_KEYS, f"{where}.kwargs", ignored=GRAMEX_KWARG_KEYS)
    config_dir = kwargs.get("config_dir")
    config_dir = Path(config_dir) if config_dir else app.data_dir / _slug(name)
    if not config_dir.is_absolute():
        config_dir = path.parent / config_dir
    template = kwargs.get("template")
    if template is not None:
        template = Path(template)
        if not template.is_absolute():
            template = path.parent / template
        if not template.is_file():
            raise ConfigError(f"{where}.kwargs.template: {template} does not exist.")
    return EndpointConfig(
        name=name,
        pattern=pattern,
        config_dir=config_dir,
        yaml_dir=path.parent,
        data=_data_section(kwargs.get("data"), f"{where}.kwargs.data", path.parent),
        model=_model_section(kwargs.get("model"), f"{where}.kwargs.model", path.parent),
        template=template,
        batch=_batch_section(kwargs.get("batch", True), f"{where}.kwargs.batch"),
    )


def _batch_section(section: Any, where: str) -> BatchSettings:
    if isinstance(section, bool):
        return BatchSettings(enabled=section)
    if not isinstance(section, dict):
        raise ConfigError(f"{where}: use true, false, or {{max_batch_size: 256, max_wait_ms: 0}}.")
    _check_keys(section, {"enabled", "max_batch_size", "max_wait_ms"}, where)
    try:
        settings = BatchSettings(
            enabled=bool(section.get("enabled", True)),
            max_batch_size=int(section.get("max_batch_size", BatchSettings.max_batch_size)),
            max_wait_ms=float(section.get("max_wait_ms", BatchSettings.max_wait_ms)),
        )
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: max_batch_size and max_wait_ms must be numbers.") from None
    if settings.max_batch_size < 1 or not 0 <= settings.max_wait_ms <= 1000:
        raise ConfigError(f"{where}: max_batch_size must be ≥ 1 and max_wait_ms between 0 and 1000.")
    return settings


def _data_section(section: Any, where: str, yaml_dir: Path) -> DataSource | None:
    if section is None:
        return None
    if isinstance(section, str):
        section = {"url": section}
    if not isinstance(section, dict) or not section.get("url"):
        raise ConfigError(f"{where}: give `url:` (a file path or a SQLAlchemy URL).")
    _check_keys(section, DATA_KEYS, where)
    url = str(section["url"])
    if "://" not in url and not Path(url).is_absolute():
        url = str(yaml_dir / url)
    return DataSource(
        url=url,
        ext=section.get("ext"),
        table=section.get("table"),
        query=section.get("query"),
        transform=section.get("transform"),
        sheet_name=section.get("sheet_name"),
    )


def _model_section(section: Any, where: str, yaml_dir: Path) -> dict[str, Any]:
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise ConfigError(f"{where} must be a mapping.")
    _check_keys(section, MODEL_KEYS, where)
    model = dict(section)
    if model.get("params") is not None and not isinstance(model["params"], dict):
        raise ConfigError(f"{where}.params must be a mapping of constructor arguments.")
    if model.get("path"):
        p = Path(model["path"])
        model["path"] = str(p if p.is_absolute() else yaml_dir / p)
    return model


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "endpoint"
