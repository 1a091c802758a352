"""The shared torch layers."""

from __future__ import annotations

import torch

from llm4rec.layers import FastDropout


def test_fast_dropout_keeps_each_value_with_one_minus_p_and_the_mean():
    torch.manual_seed(0)
    dropout = FastDropout(0.3)
    x = torch.ones(200_000)
    out = dropout(x)
    kept = out > 0
    assert abs(kept.float().mean().item() - 0.7) < 0.01
    assert torch.allclose(out[kept], torch.full_like(out[kept], 1 / 0.7))
    assert abs(out.mean().item() - 1.0) < 0.02
    dropout.eval()
    assert dropout(x) is x
    assert FastDropout(0.0)(x) is x
