"""Text-aware models: cold-start reach, natural-language queries, missing catalogue."""

import numpy as np
import pytest

from llm4rec.errors import DataError
from llm4rec.evaluation.ranking import EvalCases, evaluate
from llm4rec.models.registry import create_model
from llm4rec.ranking.query import query_scores
from llm4rec.text.encoder import TextEncoder


def _without_items(interactions, dropped):
    return interactions.select(~np.isin(interactions.item_index, dropped))


def test_text_model_reaches_items_nobody_has_met(ml100k_loo):
    split = ml100k_loo
    rng = np.random.default_rng(0)
    cold = rng.choice(split.train.n_items, size=split.train.n_items // 5, replace=False)
    train = _without_items(split.train, cold)
    targets = split.valid.select(np.isin(split.valid.item_index, cold))
    cases = EvalCases.build(train, targets)
    text = evaluate(create_model("text").fit(train, split.catalog), cases).summary
    ease = evaluate(create_model("ease").fit(train, split.catalog), cases).summary
    random_hr = 10 / split.train.n_items
    assert ease["HR@10"] == 0.0, "a CF model cannot rank items without interactions above others"
    assert text["HR@10"] > 2 * random_hr


def test_query_ranks_matching_items_first(ml100k_loo):
    from llm4rec.models.item_features import text_vectors

    items = ml100k_loo.train.items
    vectors = text_vectors(ml100k_loo.catalog, items, None, None, "test")
    query = TextEncoder(show_progress=False).encode(["Star Wars space opera"])[0]
    top = np.argsort(-query_scores(query, vectors))[:5]
    titles = ml100k_loo.catalog.titles(items.ids[top])
    assert any(t.startswith("Star Wars") or t.startswith("Return of the Jedi") for t in titles), titles


def test_query_blend_moves_towards_the_model(ml100k_loo):
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(50, 8)).astype(np.float32)
    model = np.zeros(50, np.float32)
    model[7] = 100.0
    query = vectors[3] / np.linalg.norm(vectors[3])
    assert np.argmax(query_scores(query, vectors)) == 3
    assert np.argmax(query_scores(query, vectors, model, query_weight=0.1)) == 7


def test_text_model_without_catalogue_says_what_it_needs(ml100k_loo):
    with pytest.raises(DataError, match="items.tsv"):
        create_model("text").fit(ml100k_loo.train, None)


def test_hybrid_without_catalogue_warns_and_runs_as_ease(ml100k_loo):
    with pytest.warns(UserWarning, match="EASE alone"):
        hybrid = create_model("hybrid", text_weight=1.0).fit(ml100k_loo.train, None)
    assert hybrid.score([np.array([0, 1])]).shape == (1, ml100k_loo.train.n_items)


def test_precomputed_item_vectors_become_a_modality(shared_data, tmp_path):
    import shutil

    from llm4rec.data.split_dir import read_split_dir

    for name in ("train", "valid", "test", "items"):
        shutil.copy(shared_data / "ml-100k-loo" / f"{name}.tsv", tmp_path)
    ids = np.array(["1", "2", "50"])
    np.savez(tmp_path / "item_vectors.npz", item_id=ids, vectors=np.eye(3, 5, dtype=np.float32))
    split, _ = read_split_dir(tmp_path)
    assert split.catalog.aligned_vectors(split.train.items)[0].shape == (split.train.n_items, 5)
    model = create_model("seqhybrid", max_epochs=1, use_text=False).fit(split.train, split.catalog)
    assert [m.shape[1] for m in model.modalities_][-1] == 5


def test_sequential_model_on_users_too_short_to_hold_out():
    import pandas as pd

    from llm4rec.data.interactions import Interactions

    frame = pd.DataFrame({"user_id": ["a", "a", "b", "b"], "item_id": ["1", "2", "2", "3"], "timestamp": [1, 2, 1, 2]})
    with pytest.warns(UserWarning, match="without early stopping"):
        model = create_model("sasrec", max_epochs=2).fit(Interactions.from_frame(frame))
    assert model.epochs_ == 2 and np.isfinite(model.score([np.array([0])])).all()


def test_the_hybrids_cold_gate_makes_new_items_reachable_and_leaves_the_rest(ml100k_loo):
    """An item with no training interaction is scored by its text at the blend's scale."""
    import numpy as np

    from llm4rec.models.hybrid import HybridBlend

    train = ml100k_loo.train
    cold = np.flatnonzero(train.item_counts() == 0)
    assert len(cold)  # ml-100k-loo's training part misses a few items
    histories = train.histories()[:20]
    gated = HybridBlend(l2=150.0, text_weight=1.0).fit(train, ml100k_loo.catalog)
    plain = HybridBlend(l2=150.0, text_weight=1.0, cold_gate=False).fit(train, ml100k_loo.catalog)
    a, b = gated.score(histories), plain.score(histories)
    warm = np.setdiff1d(np.arange(train.n_items), cold)
    assert np.allclose(a[:, warm], b[:, warm])  # warm items: unchanged
    assert (a[:, cold].max(axis=1) > b[:, cold].max(axis=1)).all()  # cold items: lifted by their text
