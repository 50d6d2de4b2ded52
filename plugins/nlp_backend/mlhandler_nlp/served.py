"""The model an NLP endpoint serves: a transformers network with its tokenizer and settings."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class NLPModel:
    """Built once (at load or after training) and then only read: predictions share it.

    `tokenizer_lock` guards the tokenizer, which is shared by every model loaded from the same
    source: a fast tokenizer changes its own truncation/padding state on each call, and two
    threads calling it at once fail with "Already borrowed".
    """

    task: str  # the class name: SentimentAnalysis or NER
    network: Any  # a transformers PreTrainedModel, in eval mode
    tokenizer: Any
    source: str  # the model it was loaded from (hub name or folder), before any fine-tuning
    settings: dict[str, Any]  # every parameter (params.settings)
    fine_tuned: bool = False
    tokenizer_lock: Any = field(default_factory=threading.Lock, compare=False)

    @property
    def labels(self) -> list[str]:
        id2label = self.network.config.id2label
        return [str(id2label[i]) for i in range(len(id2label))]

    @property
    def max_length(self) -> int:
        """Tokens per text: the setting, capped by what the network's positions allow."""
        limits = [self.settings["max_length"]]
        positions = getattr(self.network.config, "max_position_embeddings", None)
        if isinstance(positions, int) and positions > 0:
            limits.append(positions)
        model_max = getattr(self.tokenizer, "model_max_length", None)
        if isinstance(model_max, int) and 0 < model_max < 1_000_000:
            limits.append(model_max)
        return min(limits)

    def tokenize(self, *args: Any, **kwargs: Any) -> Any:
        with self.tokenizer_lock:
            return self.tokenizer(*args, **kwargs)

    def with_settings(self, settings: dict[str, Any]) -> NLPModel:
        return replace(self, settings=dict(settings))
