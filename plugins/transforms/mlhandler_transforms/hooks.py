"""Entry point of the transforms plugin: registers the built-in transforms by name.

The core calls a step `name` as `function(data)`, `{name: {k: v}}` as `function(data, k=v)`, and
`{name: value}` as `function(data, value)`.
"""

from __future__ import annotations

from mlhandler import TransformSpec, hookimpl
from mlhandler_transforms import columns, dates, expressions, rows, text, values

TRANSFORMS = (
    ("select", columns.select, "keep only the listed columns, in that order"),
    ("drop", columns.drop, "remove the listed columns"),
    ("rename", columns.rename, "rename columns: {old: new}"),
    ("astype", columns.astype, "convert columns to a type: {column: int|float|str|bool|category}"),
    ("fillna", values.fillna, "fill missing values with a constant per column: {column: value}"),
    ("dropna", rows.dropna, "drop rows with missing values (optionally only in a subset of columns)"),
    ("clip", values.clip, "limit numbers to [lower, upper] per column: {column: [lower, upper]}"),
    ("log1p", values.log1p, "replace numbers x by log(1 + x) in the listed columns"),
    ("bin", values.bin, "cut a numeric column into labelled intervals at fixed edges (pandas.cut)"),
    ("datetime_parts", dates.datetime_parts, "add year, month, dayofweek, ... columns from a date"),
    ("lowercase", text.lowercase, "lowercase text columns (all text columns by default)"),
    ("strip", text.strip, "trim surrounding whitespace in text columns (all by default)"),
    ("replace", values.replace, "replace values per column: {column: {old: new}}"),
    ("query", rows.query, "keep the rows where a condition holds (DataFrame.query)"),
    ("assign", expressions.assign, "set columns to expressions: {column: 'exp(-X1**2)'} (DataFrame.eval)"),
)


@hookimpl
def register_transforms() -> list[TransformSpec]:
    return [
        TransformSpec(name=name, function=function, description=description)
        for name, function, description in TRANSFORMS
    ]
