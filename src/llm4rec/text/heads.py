"""Small trainable heads over frozen sentence vectors (the Adapter idea of parameter-efficient
transfer learning, applied after the encoder)."""

from __future__ import annotations

import torch

from llm4rec.layers import FastDropout


class ResidualHead(torch.nn.Module):
    """e ↦ normalise(e + W₂ relu(W₁ e)), starting as the identity (W₂ = 0), so training
    starts from the frozen encoder's ranking and early stopping can only improve on it."""

    def __init__(self, dimension: int, hidden: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.inner = torch.nn.Linear(dimension, hidden)
        self.outer = torch.nn.Linear(hidden, dimension)
        self.dropout = FastDropout(dropout)
        torch.nn.init.zeros_(self.outer.weight)
        torch.nn.init.zeros_(self.outer.bias)

    def forward(self, vectors: torch.Tensor) -> torch.Tensor:
        change = self.outer(self.dropout(torch.relu(self.inner(vectors))))
        return torch.nn.functional.normalize(vectors + change, dim=-1)
