"""Model options (`include`, `exclude`, `cats`, …) and the coercion of their text values."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from mlhandler.errors import BadRequest

LIST_OPTIONS = ("include", "exclude", "cats", "nums")
BOOL_OPTIONS = ("dropna", "drop_duplicates", "pipeline")
TEXT_OPTIONS = ("target_col", "index_col")
OPTION_NAMES = LIST_OPTIONS + TEXT_OPTIONS + BOOL_OPTIONS

TRUE_WORDS = {"true", "1", "yes", "on", "y", "t"}
FALSE_WORDS = {"false", "0", "no", "off", "n", "f"}
NONE_WORDS = {"none", "null", ""}


def parse_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise BadRequest(
        f"{name}={value!r} is not a boolean: use true/false, 1/0 or yes/no.", option=name
    )


def as_list(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, Iterable):
        out = [str(v) for v in value if v is not None and str(v) != ""]
        return out
    raise BadRequest(f"{name} must be a list of column names, not {value!r}.", option=name)


@dataclass(frozen=True)
class ModelOptions:
    include: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    cats: list[str] = field(default_factory=list)
    nums: list[str] = field(default_factory=list)
    target_col: str | None = None
    index_col: str | None = None
    dropna: bool = True
    drop_duplicates: bool = True
    pipeline: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ModelOptions:
        return cls().updated(data or {})

    def updated(self, changes: dict[str, Any]) -> ModelOptions:
        """A copy with `changes` applied; values may be text (from HTTP) or typed (from YAML)."""
        return replace(self, **{k: coerce_option(k, v) for k, v in changes.items()})

    def reset(self, names: Iterable[str]) -> ModelOptions:
        defaults = ModelOptions()
        unknown = [n for n in names if n not in OPTION_NAMES]
        if unknown:
            raise BadRequest(
                f"Cannot reset unknown option(s) {unknown}; options are {list(OPTION_NAMES)}.",
            )
        return replace(self, **{n: getattr(defaults, n) for n in names})

    def check(self) -> None:
        both = sorted(set(self.cats) & set(self.nums))
        if both:
            raise BadRequest(
                f"Column(s) {both} are in both cats and nums; list each column in only one.",
                cats=self.cats,
                nums=self.nums,
            )


def coerce_option(name: str, value: Any) -> Any:
    if name in LIST_OPTIONS:
        return as_list(value, name)
    if name in BOOL_OPTIONS:
        if isinstance(value, list):
            value = value[-1] if value else ""
        return parse_bool(value, name)
    if name in TEXT_OPTIONS:
        if isinstance(value, list):
            value = value[-1] if value else None
        if value is None or str(value).strip().lower() in NONE_WORDS:
            return None
        return str(value)
    raise BadRequest(
        f"Unknown model option {name!r}; options are {list(OPTION_NAMES)}.", option=name
    )

