"""One endpoint's `config_dir`: configuration (config.json), training data (data.parquet) and the
model (written through the persistence hooks). Every write is atomic."""

from __future__ import annotations

import hashlib
import logging
import shutil
from pathlib import Path
from typing import Any

import orjson
import pandas as pd
import pluggy

from mlhandler.atomic import recover_dir, write_bytes, write_with
from mlhandler.errors import BadRequest, ConfigError
from mlhandler.specs import SavedModel

log = logging.getLogger("mlhandler")

CONFIG_FILE = "config.json"
DATA_FILE = "data.parquet"
LEGACY_MODEL_FILE = "model.pkl"


class Store:
    def __init__(self, directory: Path, pm: pluggy.PluginManager):
        self.directory = Path(directory)
        self.pm = pm
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"Cannot create config_dir {self.directory}: {exc}.") from None

    # --- configuration -------------------------------------------------------------------------
    def load_config(self) -> dict[str, Any]:
        path = self.directory / CONFIG_FILE
        if not path.exists():
            return {}
        try:
            return orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError as exc:
            raise ConfigError(f"{path} is not valid JSON ({exc}); fix or delete it.") from None

    def save_config(self, config: dict[str, Any]) -> None:
        write_bytes(
            self.directory / CONFIG_FILE,
            orjson.dumps(config, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY),
        )

    # --- training data -------------------------------------------------------------------------
    def load_data(self) -> pd.DataFrame:
        path = self.directory / DATA_FILE
        if not path.exists():
            return pd.DataFrame()
        return pd.read_parquet(path)

    def save_data(self, frame: pd.DataFrame) -> None:
        frame = frame.reset_index(drop=True)
        frame.columns = [str(c) for c in frame.columns]
        try:
            write_with(self.directory / DATA_FILE, lambda tmp: frame.to_parquet(tmp, index=False))
        except (TypeError, ValueError, OverflowError) as exc:
            # pyarrow refuses columns that mix types (e.g. numbers and text in one column).
            raise BadRequest(
                f"The data cannot be stored: {exc}. Make every column hold one type of value.",
            ) from None

    # --- model ---------------------------------------------------------------------------------
    def save_model(self, model: Any) -> dict[str, Any]:
        saved: SavedModel | None = self.pm.hook.save_model(model=model, directory=self.directory)
        if saved is None:
            raise RuntimeError("no plugin saved the model (the core's joblib store is missing)")
        return {"format": saved.format, "path": saved.path, "sha256": self._digest(saved.path)}

    def load_model(self, info: dict[str, Any]) -> Any:
        path = self.directory / info["path"]
        recover_dir(path)
        return self.load_model_file(path, info["format"])

    def load_model_file(self, path: Path, fmt: str) -> Any:
        model = self.pm.hook.load_model(path=Path(path), format=fmt)
        if model is None:
            raise ConfigError(
                f"No installed plugin can load the {fmt!r} model at {path}; install the plugin "
                f"that saved it."
            )
        return model

    def model_matches(self, info: dict[str, Any]) -> bool:
        """False when the model file is not the one config.json describes (a crash fell between
        writing the model and writing config.json)."""
        return info.get("sha256") in (None, self._digest(info["path"]))

    def model_path(self, info: dict[str, Any]) -> Path:
        return self.directory / info["path"]

    def delete_model(self, info: dict[str, Any] | None) -> None:
        names = {LEGACY_MODEL_FILE}
        if info:
            names.add(info["path"])
        for name in names:
            path = self.directory / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()

    def legacy_model(self) -> Path | None:
        """A `model.pkl` placed in config_dir by hand: a model trained elsewhere."""
        path = self.directory / LEGACY_MODEL_FILE
        return path if path.is_file() else None

    def _digest(self, relative: str) -> str | None:
        path = self.directory / relative
        if not path.is_file():
            return None
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
