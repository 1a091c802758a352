"""Full-ranking evaluation on a local Ray instance gives exactly the single-process figures."""

from __future__ import annotations

import numpy as np
import pytest

from llm4rec.evaluation.ranking import EvalCases, evaluate
from llm4rec.models.ease import EASE


@pytest.fixture
def local_ray(tmp_path_factory):
    ray = pytest.importorskip("ray")
    # a short folder: Ray's socket paths must stay under 107 characters
    ray.init(num_cpus=2, _temp_dir=str(tmp_path_factory.mktemp("ray")), include_dashboard=False,
             log_to_driver=False)
    yield ray
    ray.shutdown()


def test_evaluation_on_ray_matches_one_process(local_ray, ml100k_loo, monkeypatch):
    import llm4rec.evaluation.ranking as ranking

    monkeypatch.setattr(ranking, "SCORE_BUDGET", 200 * ml100k_loo.train.n_items)  # several batches, several tasks
    model = EASE(l2=150.0).fit(ml100k_loo.train)
    cases = EvalCases.build(ml100k_loo.train, ml100k_loo.valid)
    alone = evaluate(model, cases)
    distributed = evaluate(model, cases, ray="auto")
    assert len(cases) > 800
    assert distributed.summary == alone.summary
    assert (distributed.top_items == alone.top_items).all()
    for name, values in alone.per_case.items():
        assert np.array_equal(distributed.per_case[name], values), name


def test_batch_encoding_on_ray_matches_one_process(local_ray, monkeypatch):
    import llm4rec.text.encoder as encoder_module
    from llm4rec.text.encoder import TextEncoder

    texts = [f"item {i}: a film about {word}" for i, word in enumerate(["space", "love", "war", "cats"] * 15)]
    alone = TextEncoder(cache=False, show_progress=False).encode(texts)
    monkeypatch.setattr(encoder_module, "RAY_MIN_TEXTS", 16)  # several slices, several tasks
    monkeypatch.setenv("LLM4REC_RAY", "auto")
    distributed = TextEncoder(cache=False, show_progress=False).encode(texts)
    assert np.allclose(distributed, alone, atol=1e-6)


def test_batch_recommendations_on_ray_match_one_process(local_ray, ml100k_loo):
    from llm4rec.models.batch import recommend_all

    model = EASE(l2=150.0).fit(ml100k_loo.train)
    alone = recommend_all(model, ml100k_loo.train, k=5, batch_size=100)
    distributed = recommend_all(model, ml100k_loo.train, k=5, ray="auto", batch_size=100)
    assert len(alone) == 5 * ml100k_loo.train.n_users
    assert alone.equals(distributed)
