"""A plain torch fine-tuning loop: AdamW, linear learning-rate decay, shuffled mini-batches.

Deterministic for a given `seed` (and number of torch threads): the seed fixes the head's
initialisation, the dropout masks and the order of the batches.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

MAX_GRAD_NORM = 1.0


def fine_tune(network: Any, examples: Sequence[Any], encode: Callable[[list[Any]], dict],
              settings: dict[str, Any]) -> float:
    """Train `network` in place on `examples`; `encode(batch)` gives the model's inputs with
    `labels`. Returns the mean loss of the last epoch. Leaves the network in eval mode."""
    import torch

    torch.manual_seed(settings["seed"])
    order = torch.Generator().manual_seed(settings["seed"])
    batch_size, epochs = settings["batch_size"], settings["epochs"]
    steps = epochs * math.ceil(len(examples) / batch_size)
    optimizer = torch.optim.AdamW(network.parameters(), lr=settings["learning_rate"])
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0 - step / (steps + 1))
    network.train()
    try:
        with torch.enable_grad():
            for _ in range(epochs):
                losses = []
                shuffled = torch.randperm(len(examples), generator=order).tolist()
                for start in range(0, len(examples), batch_size):
                    batch = [examples[i] for i in shuffled[start:start + batch_size]]
                    loss = network(**encode(batch)).loss
                    loss.backward()
                    torch.nn.utils.clip_grad_norm_(network.parameters(), MAX_GRAD_NORM)
                    optimizer.step()
                    schedule.step()
                    optimizer.zero_grad()
                    losses.append(float(loss.detach()))
    finally:
        network.eval()
    return sum(losses) / len(losses)
