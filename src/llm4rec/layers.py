"""Small torch layers shared by the sequential models and the encoder heads."""

from __future__ import annotations

import torch
from torch import nn


class FastDropout(nn.Dropout):
    """Inverted dropout whose mask is drawn with rand_like: torch's CPU dropout draws it with
    bernoulli_, 2.4x slower on SASRec's activations (10.2 vs 4.3 ms for 128 x 50 x 128 floats on
    2 cores), which made a quarter of an ml-100k epoch. The same distribution of masks."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or not self.p:
            return x
        return x * (torch.rand_like(x) >= self.p) * (1.0 / (1.0 - self.p))
