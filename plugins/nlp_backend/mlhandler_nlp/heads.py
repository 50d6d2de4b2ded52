"""The network a fine-tuning starts from: a copy of the served one, with a new head when the
training labels are not labels it already has."""

from __future__ import annotations

import copy
from typing import Any


def starting_network(network: Any, auto_class: Any, labels: list[str], seed: int) -> Any:
    """A trainable copy of `network` (the served model is never changed). When `labels` are all
    labels the network knows, its head is kept; otherwise the head is re-initialised for
    `labels` (in this order) and only the encoder's weights carry over."""
    known = {str(v) for v in network.config.id2label.values()}
    if set(labels) <= known:
        return copy.deepcopy(network)
    import torch

    config = copy.deepcopy(network.config)
    config.id2label = dict(enumerate(labels))
    config.label2id = {label: i for i, label in enumerate(labels)}
    config.num_labels = len(labels)
    torch.manual_seed(seed)
    fresh = auto_class.from_config(config)
    prefix = f"{network.base_model_prefix}."
    encoder = {k: v for k, v in network.state_dict().items() if k.startswith(prefix)}
    fresh.load_state_dict(encoder, strict=False)
    return fresh


def label_ids(network: Any) -> dict[str, int]:
    return {str(label): int(i) for i, label in network.config.id2label.items()}
