"""Plugin loading: a factory that builds the plugin manager, and the registry of what it provides.

The core's own defaults (joblib persistence, JSON/CSV/page rendering) live in
`mlhandler.defaults` and are registered like any plugin, so a plugin can override them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from importlib import metadata
from typing import Any

import pluggy

from mlhandler import hookspecs
from mlhandler.errors import ConfigError, UnknownEstimatorError
from mlhandler.specs import EstimatorSpec, RendererSpec, TransformSpec

ENTRY_POINT_GROUP = "mlhandler"
DISABLE_ENV = "MLHANDLER_DISABLE_PLUGINS"
DEFAULT_PLUGINS = ("mlhandler.defaults",)
CORE_PLUGIN = "core"


def disabled_plugins(env: dict[str, str] | None = None) -> set[str]:
    value = (env if env is not None else os.environ).get(DISABLE_ENV, "")
    return {name.strip() for name in value.split(",") if name.strip()}


def get_plugin_manager(
    load_entrypoints: bool = True, disabled: set[str] | None = None
) -> pluggy.PluginManager:
    """Build a fresh plugin manager: the core defaults plus installed `mlhandler` entry points,
    minus those named in MLHANDLER_DISABLE_PLUGINS (comma-separated)."""
    import importlib

    pm = pluggy.PluginManager("mlhandler")
    pm.add_hookspecs(hookspecs)
    for module_name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(module_name), name=CORE_PLUGIN)
    for name in disabled if disabled is not None else disabled_plugins():
        if name == CORE_PLUGIN:
            raise ConfigError(f"The {CORE_PLUGIN!r} plugin cannot be disabled.")
        pm.set_blocked(name)
    if load_entrypoints:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    pm.check_pending()
    return pm


@dataclass
class PluginInfo:
    name: str
    distribution: str
    version: str
    estimators: list[str] = field(default_factory=list)
    transforms: list[str] = field(default_factory=list)
    renderers: list[str] = field(default_factory=list)
    hooks: list[str] = field(default_factory=list)


class Registry:
    """Everything the installed plugins provide, collected once, with each item's provider."""

    def __init__(self, pm: pluggy.PluginManager):
        self.pm = pm
        self.estimators: dict[str, EstimatorSpec] = _collect(pm, "register_estimators", "estimator")
        self.transforms: dict[str, TransformSpec] = _collect(pm, "register_transforms", "transform")
        self.renderers: dict[str, RendererSpec] = _collect(pm, "register_renderers", "renderer")

    def plugin_names(self) -> list[str]:
        return sorted(
            name for name, plugin in self.pm.list_name_plugin() if plugin is not None
        )

    def estimator(self, name: str) -> EstimatorSpec:
        spec = self.estimators.get(name)
        if spec is None and "." in name:
            # Gramex YAML may name `sklearn.linear_model.LogisticRegression`: accept it only when a
            # plugin provides the bare class name; never import the dotted path.
            spec = self.estimators.get(name.rsplit(".", 1)[1])
        if spec is None:
            plugins = [p for p in self.plugin_names() if p != CORE_PLUGIN]
            raise UnknownEstimatorError(
                f"No backend provides class {name!r}; installed plugins: "
                f"{', '.join(plugins) or 'none'}. Install a backend plugin that provides it "
                f"(e.g. `pip install mlhandler-sklearn`) or fix the class name.",
                plugins=plugins,
            )
        return spec

    def describe(self) -> list[PluginInfo]:
        dists = {plugin: dist for plugin, dist in self.pm.list_plugin_distinfo()}
        infos = []
        for name, plugin in sorted(self.pm.list_name_plugin(), key=lambda item: item[0]):
            if plugin is None:
                continue
            dist = dists.get(plugin)
            if dist is not None:
                dist_name, version = dist.project_name, dist.version
            elif name == CORE_PLUGIN:
                dist_name, version = "mlhandler", metadata.version("mlhandler")
            else:  # registered in code, not installed from a distribution
                dist_name, version = "(not installed)", ""
            hooks = sorted(h.name for h in self.pm.get_hookcallers(plugin) or [])
            infos.append(
                PluginInfo(
                    name=name,
                    distribution=dist_name,
                    version=version,
                    estimators=sorted(s.name for s in self.estimators.values() if s.plugin == name),
                    transforms=sorted(s.name for s in self.transforms.values() if s.plugin == name),
                    renderers=sorted(s.name for s in self.renderers.values() if s.plugin == name),
                    hooks=hooks,
                )
            )
        return infos


def _collect(pm: pluggy.PluginManager, hook_name: str, what: str) -> dict[str, Any]:
    """Call a collecting hook implementation by implementation so that every spec knows which
    plugin provided it. Two plugins providing one name is an error naming both, except that
    any plugin may replace a core default."""
    found: dict[str, Any] = {}
    caller = getattr(pm.hook, hook_name)
    # Core first, so that plugins registered later can replace core defaults.
    impls = sorted(caller.get_hookimpls(), key=lambda i: i.plugin_name != CORE_PLUGIN)
    for impl in impls:
        for spec in impl.function() or []:
            spec = replace(spec, plugin=impl.plugin_name)
            previous = found.get(spec.name)
            if previous is not None and previous.plugin != CORE_PLUGIN:
                raise ConfigError(
                    f"Two plugins provide the {what} {spec.name!r}: {previous.plugin!r} and "
                    f"{spec.plugin!r}. Uninstall one, or disable it with "
                    f"{DISABLE_ENV}={spec.plugin}.",
                )
            found[spec.name] = spec
    return found
