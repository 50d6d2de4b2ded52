"""The two classes, as tasks: what network each loads, and how it predicts, trains and scores."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from mlhandler_nlp import ner, sentiment


@dataclass(frozen=True)
class Task:
    name: str
    module: ModuleType  # predict, train, score, auto_class

    def auto_class(self) -> Any:
        return self.module.auto_class()

    @property
    def factory(self) -> Callable[..., Any]:
        """`factory(**params)`: the pretrained model the params name (loaded once, kept)."""

        def build(**params: Any) -> Any:
            from mlhandler_nlp.loading import load_pretrained
            from mlhandler_nlp.params import coerce_params, settings

            return load_pretrained(self, settings(self.name, coerce_params(self.name, params)))

        build.__name__ = self.name
        return build


TASKS = {task.name: task for task in (Task(sentiment.NAME, sentiment), Task(ner.NAME, ner))}
