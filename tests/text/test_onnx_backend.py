"""The encoder on onnxruntime: float matches torch, int8 stays close, each has its own cache."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from llm4rec.cli.main import app
from llm4rec.errors import ConfigError
from llm4rec.models.text_content import TextContent
from llm4rec.text.encoder import TextEncoder

TEXTS = ["Toy Story (1995). Animation, Children's, Comedy", "Heat (1995). Action, Crime, Thriller",
         "a funny film about talking animals", "Star Wars (1977)", "office chair with lumbar support"]


@pytest.fixture(scope="module")
def reference():
    return TextEncoder(cache=False, show_progress=False, backend="torch").encode(TEXTS)


def test_onnx_float_matches_torch_and_int8_stays_close(reference):
    float_vectors = TextEncoder(cache=False, backend="onnx").encode(TEXTS)
    assert float_vectors.shape == reference.shape
    assert np.allclose(np.linalg.norm(float_vectors, axis=1), 1.0, atol=1e-5)
    assert (float_vectors * reference).sum(axis=1).min() > 0.9999
    int8 = TextEncoder(cache=False, backend="onnx-int8").encode(TEXTS)
    cosine = (int8 * reference).sum(axis=1)
    assert cosine.mean() > 0.99 and cosine.min() > 0.98
    order = [3, 0, 4, 1, 2]  # results come back in input order whatever the length sorting
    assert np.allclose(TextEncoder(cache=False, backend="onnx-int8").encode([TEXTS[i] for i in order]), int8[order],
                       atol=1e-5)


def test_backends_keep_separate_caches_and_unknown_backends_are_refused(monkeypatch):
    assert TextEncoder(cache=False, backend="onnx-int8").model_id != TextEncoder(cache=False).model_id
    monkeypatch.setenv("LLM4REC_ENCODER_BACKEND", "onnx")
    assert TextEncoder(cache=False).backend == "onnx"
    with pytest.raises(ConfigError, match="choose from"):
        TextEncoder(cache=False, backend="tensorrt")


def test_evaluate_runs_a_text_model_on_the_int8_encoder(shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv("LLM4REC_ENCODER_BACKEND", "torch")  # restored (unset) after the test
    # the backend is under test, not the grid: one setting, no fine-tuning (minutes on 2 cores)
    monkeypatch.setattr(TextContent, "search_space", classmethod(lambda cls: [{}]))
    out = tmp_path / "r.json"
    result = CliRunner().invoke(app, ["evaluate", "--split-dir", str(shared_data / "ml-100k-loo"), "--models",
                                      "text", "--out", str(out), "--encoder-backend", "onnx-int8"])
    assert result.exit_code == 0, result.output
    assert json.loads(out.with_suffix(".details.json").read_text())["encoder_backend"] == "onnx-int8"
    assert json.loads(out.read_text())["text"]["test"]["NDCG@10"] > 0.01
