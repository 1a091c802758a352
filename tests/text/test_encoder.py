"""The sentence encoder: offline default model, unit vectors, and the on-disk cache."""

import numpy as np
import pytest

from llm4rec.errors import ConfigError
from llm4rec.text.encoder import TextEncoder, default_model_path


@pytest.fixture
def encoder(tmp_path, monkeypatch):
    monkeypatch.setenv("LLM4REC_CACHE", str(tmp_path))
    return TextEncoder(show_progress=False)


def _count_model_calls(encoder):
    calls = []
    real = encoder.model.encode

    def counting(texts, **kwargs):
        calls.append(list(texts))
        return real(texts, **kwargs)

    encoder.model.encode = counting
    return calls


def test_unit_vectors_and_similar_meaning(encoder):
    vectors = encoder.encode(["a space adventure", "a journey among the stars", "tax law for accountants"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_cache_hit_runs_no_model_and_gives_the_same_vectors(encoder):
    calls = _count_model_calls(encoder)
    first = encoder.encode(["Toy Story", "Heat", "Toy Story"])
    assert calls == [["Toy Story", "Heat"]], "duplicates are encoded once"
    second = encoder.encode(["Heat", "Toy Story", "Casino"])
    assert calls[1:] == [["Casino"]], "only the miss is encoded"
    np.testing.assert_array_equal(second[:2], first[[1, 0]])
    fresh = TextEncoder(show_progress=False)  # a new process would read the same file
    assert TextEncoder(show_progress=False).cache is not None
    np.testing.assert_array_equal(fresh.encode(["Heat"]), first[[1]])


def test_any_local_model_path_works(tmp_path, monkeypatch):
    monkeypatch.setenv("LLM4REC_CACHE", str(tmp_path))
    by_path = TextEncoder(default_model_path(), show_progress=False, cache=False)
    by_name = TextEncoder("all-MiniLM-L6-v2", show_progress=False, cache=False)
    np.testing.assert_allclose(by_path.encode(["Heat"]), by_name.encode(["Heat"]), atol=1e-6)


def test_missing_model_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="never downloaded"):
        TextEncoder(tmp_path / "nope")
