"""The plugin's promises as a whole: every transform is registered with a description and a
docstring example that runs; every README example runs through the core's pipeline, on training
data and on prediction rows without the target, and gives each row the same result whether the
row arrives with others or alone (statelessness), without changing its input."""

from __future__ import annotations

import doctest
import importlib
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

from mlhandler.plugins import Registry, get_plugin_manager
from mlhandler.transform import apply_transform, resolve_transform
from mlhandler_transforms import hooks

README = Path(__file__).parents[1] / "README.md"
MODULES = ["checks", "columns", "values", "rows", "dates", "text", "expressions"]
NAMES = {"select", "drop", "rename", "astype", "fillna", "dropna", "clip", "log1p", "bin",
         "datetime_parts", "lowercase", "strip", "replace", "query", "assign"}


def readme_examples() -> list[tuple[str, list]]:
    """(section name, transform steps) for every ```yaml block under a `### name` heading."""
    examples = []
    for section in re.split(r"^### ", README.read_text(), flags=re.M)[1:]:
        name = section.split("\n", 1)[0].strip()
        for block in re.findall(r"```yaml\n(.*?)```", section, flags=re.S):
            examples.append((name, yaml.safe_load(block)["transform"]))
    return examples


EXAMPLES = readme_examples()


@pytest.fixture
def registry() -> Registry:
    return Registry(get_plugin_manager())


@pytest.fixture
def sample(titanic, circles) -> dict[str, pd.DataFrame]:
    """Titanic rows (with missing ages and ports) plus a date column; and circles."""
    rows = titanic.iloc[list(range(0, 891, 37)) + [61, 829]].copy()  # 61, 829: missing Embarked
    rows["date"] = [f"2024-{m:02d}-{d:02d}" for m, d in zip(rows.index % 12 + 1, rows.index % 28 + 1,
                                                             strict=True)]
    return {"titanic": rows, "circles": circles.head(20)}


def test_every_transform_is_registered_with_a_description(registry):
    assert {name for name, _, _ in hooks.TRANSFORMS} == NAMES
    assert set(registry.transforms) >= NAMES
    for name in NAMES:
        spec = registry.transforms[name]
        assert spec.plugin == "transforms"
        assert spec.description and "\n" not in spec.description
        assert ">>> " in spec.function.__doc__, f"{name} has no docstring example"


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(f"mlhandler_transforms.{module}"))
    assert result.failed == 0


def test_readme_has_an_example_for_every_transform():
    assert {name for name, _ in EXAMPLES} == NAMES
    for name, steps in EXAMPLES:
        used = {s if isinstance(s, str) else next(iter(s)) for s in steps}
        assert name in used, f"the README's {name} example does not use {name}"


@pytest.mark.parametrize(("name", "steps"), EXAMPLES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(EXAMPLES)])
def test_readme_example_is_stateless_and_pure(registry, sample, name, steps):
    pipeline = resolve_transform(steps, registry.transforms, f"README {name}")
    data = sample["circles" if "X1" in str(steps) else "titanic"]
    before = data.copy()

    whole = apply_transform(pipeline, data)
    pd.testing.assert_frame_equal(data, before)  # the input is unchanged
    assert isinstance(whole, pd.DataFrame) and not whole.empty
    assert whole is not data

    alone = [apply_transform(pipeline, data.iloc[[i]]) for i in range(len(data))]
    one_by_one = pd.concat([row for row in alone if not row.empty])
    pd.testing.assert_frame_equal(one_by_one, whole, check_dtype=False)
    pd.testing.assert_frame_equal(apply_transform(pipeline, data), whole)


@pytest.mark.parametrize(("name", "steps"), EXAMPLES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(EXAMPLES)])
def test_readme_example_runs_on_a_prediction_row_without_the_target(registry, sample, name, steps):
    pipeline = resolve_transform(steps, registry.transforms, f"README {name}")
    target = "y" if "X1" in str(steps) else "Survived"
    data = sample["circles" if target == "y" else "titanic"]
    row = data.drop(columns=[target]).iloc[[0]]
    result = apply_transform(pipeline, row)
    assert target not in result.columns
    expected = apply_transform(pipeline, data.iloc[[0]]).drop(columns=[target], errors="ignore")
    pd.testing.assert_frame_equal(result, expected)
