"""ItemKNN's sparse neighbour search against a dense brute force."""

import numpy as np
import pandas as pd

from llm4rec.data.interactions import Interactions
from llm4rec.models import itemknn
from llm4rec.models.itemknn import ItemKNN, top_k_per_group


def test_top_k_per_group_keeps_each_groups_largest_values():
    groups = np.array([2, 0, 2, 0, 2, 1, 0])
    values = np.array([0.5, 0.1, 0.9, 0.3, 0.7, 0.2, 0.3])
    kept = top_k_per_group(groups, values, 2)
    assert sorted(kept.tolist()) == [2, 3, 4, 5, 6]  # group 0 keeps 0.3 twice, group 1 its one value


def test_neighbours_match_dense_cosine_with_shrinkage(monkeypatch):
    rng = np.random.default_rng(0)
    rows = [(u, i) for u in range(300) for i in rng.choice(80, rng.integers(2, 12), replace=False)]
    frame = pd.DataFrame(rows, columns=["user_id", "item_id"]).assign(timestamp=0)
    data = Interactions.from_frame(frame)
    x = data.matrix().toarray()
    norms = np.sqrt((x * x).sum(axis=0))
    dense = (x.T @ x) / (norms[:, None] * norms[None, :] + 10.0 + 1e-12)
    np.fill_diagonal(dense, 0.0)
    monkeypatch.setattr(itemknn, "BLOCK_ELEMENTS", 7 * data.n_items)  # several blocks
    model = ItemKNN(k=5, shrink=10.0).fit(data)
    kept = model.similarity_.toarray()
    for item in range(data.n_items):
        expected = np.sort(dense[:, item])[::-1][:5]
        assert np.allclose(np.sort(kept[:, item][kept[:, item] > 0])[::-1], expected[expected > 0], atol=1e-6)
        assert np.allclose(kept[:, item][kept[:, item] > 0], dense[:, item][kept[:, item] > 0], atol=1e-6)
