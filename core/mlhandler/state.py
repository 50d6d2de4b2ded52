"""What an endpoint persists in config.json (`State`), and the model it serves (`Served`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from mlhandler.options import OPTION_NAMES, ModelOptions
from mlhandler.schema import Schema
from mlhandler.specs import EstimatorSpec


@dataclass(frozen=True)
class State:
    """The endpoint's configuration and which data and model files are current.

    Immutable: a change builds a new State, commits it to config.json, then replaces the old one.
    """

    opts: ModelOptions = field(default_factory=ModelOptions)
    class_name: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    data: str | None = None  # the cache file, relative to config_dir
    model: dict[str, Any] | None = None  # format, path, class, kind, schema, opts, result, trained_at
    yaml: dict[str, Any] = field(default_factory=dict)  # the YAML's settings at the last start
    # Registered transform names chosen with PUT ?transform=…; None: the YAML's data.transform.
    transform: list[str] | None = None

    def configuration(self) -> dict[str, Any]:
        return {
            "opts": self.opts.to_dict(),
            "params": {"class": self.class_name, "params": self.params},
        }

    def to_config(self) -> dict[str, Any]:
        config = {**self.configuration(), "data": self.data, "model": self.model, "yaml": self.yaml}
        if self.transform is not None:
            config["transform"] = self.transform
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> State:
        if is_gramex_config(config):
            return cls.from_gramex(config)
        params = config.get("params") or {}
        return cls(
            opts=ModelOptions.from_dict(config.get("opts")),
            class_name=params.get("class"),
            params=dict(params.get("params") or {}),
            data=config.get("data"),
            model=config.get("model"),
            yaml=config.get("yaml") or {},
            transform=config.get("transform"),
        )

    @classmethod
    def from_gramex(cls, config: dict[str, Any]) -> State:
        """Settings from a config_dir that Gramex's MLHandler wrote: its options and class/params
        carry over; its model file is adopted like any model trained elsewhere."""
        options = {k: v for k, v in (config.get("transform") or {}).items() if k in OPTION_NAMES}
        model = config.get("model") or {}
        return cls(
            opts=ModelOptions.from_dict(options),
            class_name=model.get("class"),
            params=dict(model.get("params") or {}),
        )


@dataclass(frozen=True)
class Served:
    """The model currently answering predictions, with what it was trained with."""

    model: Any
    spec: EstimatorSpec
    schema: Schema | None
    opts: ModelOptions


def is_gramex_config(config: dict[str, Any]) -> bool:
    """Gramex's MLHandler stores {"transform": {options}, "model": {"class", "params"}}."""
    model = config.get("model")
    ours = "opts" in config or (isinstance(model, dict) and "path" in model)
    # (Gramex's "transform" is a dict of options; ours is a list of names or null.)
    return not ours and ("transform" in config or isinstance(model, dict))


def model_entry(spec: EstimatorSpec, schema: Schema | None, opts: ModelOptions,
                 result: dict[str, Any]) -> dict[str, Any]:
    """What config.json records about a trained model, besides where its file is."""
    return {
        "class": spec.name,
        "kind": spec.kind,
        "schema": schema.to_dict() if schema else None,
        "opts": opts.to_dict(),
        "result": result,
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
