"""One endpoint's `config_dir`, with `config.json` as the single commit point.

    config_dir/
      config.json              configuration, YAML snapshot, and which data/model files are current
      data/<version>.parquet   training data (the cache)
      models/<version>/…       the model, written by the save_model hook (model.pkl for joblib)

A change stages new data or model files under fresh version names, then atomically replaces
config.json to point at them. A crash or a failed write at any moment leaves config.json naming a
complete, consistent set of files — the old one or the new one. Versions config.json no longer
names are pruned after each commit.
"""

from __future__ import annotations

import fcntl
import logging
import math
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import pluggy

from mlhandler.atomic import write_bytes, write_with
from mlhandler.errors import BadRequest, ConfigError, StorageError
from mlhandler.jsonsafe import beyond_64_bits, json_safe
from mlhandler.specs import SavedModel

log = logging.getLogger("mlhandler")

CONFIG_FILE = "config.json"
DATA_DIR = "data"
MODELS_DIR = "models"
HAND_PLACED_MODEL = "model.pkl"
LOCK_FILE = ".mlhandler.lock"


@contextmanager
def storage_errors(what: str) -> Iterator[None]:
    """A failed disk write (full disk, permissions) is reported as such, not as a bug."""
    try:
        yield
    except OSError as exc:
        raise StorageError(
            f"Could not write {what}: {exc.strerror or exc}. Nothing was changed; check the disk "
            f"space and permissions of the config_dir.",
        ) from None


def storable(value: Any) -> Any:
    """`value` with what JSON cannot hold as text: inf, nan and integers beyond 64 bits would
    otherwise be written as null (or fail). Parameter coercion reads the text back."""
    if isinstance(value, dict):
        return {k: storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # 'inf', '-inf', 'nan'
    if beyond_64_bits(value):
        return str(value)
    return value


def encode_config(config: Any, indent: bool = False) -> bytes:
    """config.json's bytes for `config`. Startup compares the YAML with its snapshot through this
    same encoding, so a value reads back equal to itself."""
    option = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS | (orjson.OPT_INDENT_2 if indent else 0)
    return orjson.dumps(storable(config), default=json_safe, option=option)


def gramex_slug(name: str) -> str:
    """The file name Gramex gave an endpoint's model: python-slugify's slug of its key."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def new_version() -> str:
    return f"{time.time_ns():x}-{uuid.uuid4().hex[:6]}"


# What new_version() names (a version folder or file), and atomic writes' temporary files of them.
OURS = re.compile(r"^(\.)?[0-9a-f]{12,}-[0-9a-f]{6}(\.parquet)?(\..*\.tmp)?$")


class Store:
    def __init__(self, directory: Path, pm: pluggy.PluginManager, gramex_slug: str = ""):
        self.directory = Path(directory)
        self.pm = pm
        self.gramex_slug = gramex_slug
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"Cannot create config_dir {self.directory}: {exc}.") from None

    # --- between processes -----------------------------------------------------------------------
    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold config_dir's lock: every process serving it (`--workers N`) changes it in turn."""
        with storage_errors("the config_dir lock"):
            fd = os.open(self.directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def config_stamp(self) -> tuple[int, int, int] | None:
        """Changes whenever config.json is replaced (each commit writes a new file)."""
        try:
            info = (self.directory / CONFIG_FILE).stat()
        except FileNotFoundError:
            return None
        return info.st_ino, info.st_mtime_ns, info.st_size

    # --- the commit point ----------------------------------------------------------------------
    def load_config(self) -> dict[str, Any]:
        path = self.directory / CONFIG_FILE
        if not path.exists():
            return {}
        try:
            return orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise ConfigError(f"{path} is not valid JSON ({exc}); fix or delete it.") from None

    def commit(self, config: dict[str, Any]) -> None:
        """Make `config` (and the staged files it names) current, atomically. Call `prune`
        once nothing in memory refers to the versions it replaced."""
        with storage_errors("the configuration"):
            write_bytes(self.directory / CONFIG_FILE, encode_config(config, indent=True))

    def prune(self, config: dict[str, Any]) -> None:
        """Remove the data and model versions, and the temporary files, that mlhandler wrote and
        config.json no longer names. Only names mlhandler makes are touched: config_dir may be a
        folder the user keeps other files in (Gramex's docs use config_dir: $YAMLPATH)."""
        keep = {config.get("data")}
        if config.get("model"):
            keep.add("/".join(config["model"]["path"].split("/")[:2]))  # models/<version>
        for folder in (DATA_DIR, MODELS_DIR):
            root = self.directory / folder
            if not root.is_dir():
                continue
            for item in root.iterdir():
                if f"{folder}/{item.name}" in keep or not OURS.match(item.name):
                    continue
                try:
                    shutil.rmtree(item) if item.is_dir() else item.unlink()
                except OSError as exc:  # pruning is housekeeping: never fail a request for it
                    log.warning("could not remove %s: %s", item, exc)
        for stray in self.directory.glob(f".{CONFIG_FILE}.*.tmp"):
            stray.unlink(missing_ok=True)

    # --- training data -------------------------------------------------------------------------
    def stage_data(self, frame: pd.DataFrame) -> str:
        """Write the cache to a new version file; return its path relative to config_dir."""
        relative = f"{DATA_DIR}/{new_version()}.parquet"
        frame = frame.reset_index(drop=True)
        frame.columns = [str(c) for c in frame.columns]
        try:
            with storage_errors("the training data"):
                write_with(self.directory / relative, lambda tmp: frame.to_parquet(tmp, index=False))
        except (TypeError, ValueError, OverflowError, NotImplementedError) as exc:
            # pyarrow refuses columns that mix types (numbers and text in one column) or that it
            # cannot write (e.g. empty objects).
            raise BadRequest(
                f"The data cannot be stored: {exc}. Make every column hold one type of value.",
            ) from None
        return relative

    def load_data(self, relative: str | None) -> pd.DataFrame:
        if not relative:
            return pd.DataFrame()
        path = self.directory / relative
        if not path.exists():
            raise ConfigError(f"{path}, named in config.json, is missing; restore it or delete config.json.")
        return pd.read_parquet(path)

    # --- model ---------------------------------------------------------------------------------
    def stage_model(self, model: Any) -> dict[str, Any]:
        """Save the model through the save_model hook into a new version folder."""
        version = f"{MODELS_DIR}/{new_version()}"
        folder = self.directory / version
        with storage_errors("the model"):
            folder.mkdir(parents=True)
            saved: SavedModel | None = self.pm.hook.save_model(model=model, directory=folder)
        if saved is None:
            raise RuntimeError("no plugin saved the model (the core's joblib store is missing)")
        return {"format": saved.format, "path": f"{version}/{saved.path}"}

    def load_model(self, info: dict[str, Any]) -> Any:
        return self.load_model_file(self.model_path(info), info["format"])

    def load_model_file(self, path: Path, fmt: str) -> Any:
        model = self.pm.hook.load_model(path=Path(path), format=fmt)
        if model is None:
            raise ConfigError(
                f"No installed plugin can load the {fmt!r} model at {path}; install the plugin "
                f"that saved it."
            )
        return model

    def model_path(self, info: dict[str, Any]) -> Path:
        return self.directory / info["path"]

    def hand_placed_model(self) -> Path | None:
        """A model trained elsewhere and left in config_dir: `model.pkl`, or `<slug>.pkl`, the
        name Gramex's MLHandler saves its model under."""
        for path in self._hand_placed_paths():
            if path.is_file():
                return path
        return None

    def _hand_placed_paths(self) -> list[Path]:
        names = [HAND_PLACED_MODEL]
        if self.gramex_slug:
            names.append(f"{self.gramex_slug}.pkl")
        return [self.directory / name for name in names]

