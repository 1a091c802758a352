"""The sentence encoder run by onnxruntime, in float or int8: exported once with `torch.onnx`,
quantised with `onnxruntime.quantization`, both cached on disk beside the embeddings.

sentence-transformers' own ONNX backend needs its `[onnx]` extra, which downgrades
sentence-transformers and transformers here, so the export is done directly.

int8 is dynamic quantisation with per-channel weight scales, and the feed-forward output
projections of every layer kept in float: their inputs (GELU outputs) carry the activation
outliers that cost plain per-tensor int8 most of its accuracy (mean cosine to the float
embeddings 0.963 per-tensor, 0.993 per-channel, 0.996 with those layers in float, on
ml-100k titles; `benchmarks/encoder_backends.py`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from llm4rec.errors import ConfigError
from llm4rec.progress import track

INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def feed_forward_output(node: str) -> bool:
    """The feed-forward output projection of a layer (not attention's output): int8 keeps it in float."""
    return node.endswith("/output/dense/MatMul") and "attention" not in node


def pooling_mode(model_path: Path) -> str:
    """'mean' or 'cls', from the sentence-transformers pooling config (mean for plain HF models)."""
    config = model_path / "1_Pooling" / "config.json"
    if not config.exists():
        return "mean"
    settings = json.loads(config.read_text())
    if settings.get("pooling_mode_mean_tokens"):
        return "mean"
    if settings.get("pooling_mode_cls_token"):
        return "cls"
    raise ConfigError(f"{config}: only mean or CLS pooling run on the ONNX backends; use --encoder-backend torch")


def export(model_path: Path, out: Path) -> Path:
    """The transformer of a sentence-transformers folder as ONNX (token states out), with
    dynamic batch and sequence axes."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    model = AutoModel.from_pretrained(str(model_path), local_files_only=True).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(model_path), local_files_only=True)

    class TokenStates(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    sample = tokenizer(["an example sentence", "another"], padding=True, return_tensors="pt",
                       return_token_type_ids=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".partial")
    torch.onnx.export(TokenStates(), tuple(sample[name] for name in INPUTS), str(partial), input_names=list(INPUTS),
                      output_names=["token_states"], opset_version=17, dynamo=False,
                      dynamic_axes={name: {0: "batch", 1: "sequence"} for name in (*INPUTS, "token_states")})
    partial.rename(out)
    return out


def float_products(float_model: Path, keep_float: Callable[[str], bool]) -> list[str]:
    """MatMul nodes to leave in float: products of two activations, and those `keep_float` names."""
    import onnx

    graph = onnx.load(str(float_model)).graph
    weights = {initializer.name for initializer in graph.initializer}
    return [node.name for node in graph.node if node.op_type == "MatMul" and (
        not any(i in weights for i in node.input) or keep_float(node.name))]


def quantize(float_model: Path, out: Path, per_channel: bool = True,
             keep_float: Callable[[str], bool] = feed_forward_output) -> Path:
    """Dynamic int8 (per-channel weight scales by default); weight products whose node name
    `keep_float` accepts, and products of two activations (attention scores), stay in float."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    partial = out.with_suffix(".partial")
    quantize_dynamic(str(float_model), str(partial), weight_type=QuantType.QInt8, per_channel=per_channel,
                     nodes_to_exclude=float_products(float_model, keep_float))
    partial.rename(out)
    return out


class OnnxSentenceModel:
    """The subset of `SentenceTransformer` that `TextEncoder` uses, on onnxruntime."""

    def __init__(self, model_path: Path, cache_dir: Path, quantized: bool, threads: int | None = None) -> None:
        import onnxruntime
        from transformers import AutoTokenizer

        float_model = cache_dir / "model.onnx"
        if not float_model.exists():
            export(model_path, float_model)
        path = float_model
        if quantized:
            path = cache_dir / "model-int8.onnx"
            if not path.exists():
                quantize(float_model, path)
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_path), local_files_only=True)
        self.pooling = pooling_mode(model_path)
        settings = model_path / "sentence_bert_config.json"
        self.max_length = json.loads(settings.read_text()).get("max_seq_length", 256) if settings.exists() else 256

    def get_sentence_embedding_dimension(self) -> int:
        return int(self.encode(["dimension probe"]).shape[1])

    def encode(self, texts: Sequence[str], batch_size: int = 64, show_progress_bar: bool = False,
               **_: object) -> np.ndarray:
        """Unit-length embeddings in order; texts are run sorted by length, as
        sentence-transformers does, so batches carry little padding."""
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = None
        batches = range(0, len(texts), batch_size)
        for start in track(batches, "encoding (onnx)", enabled=show_progress_bar):
            rows = order[start : start + batch_size]
            tokens = self.tokenizer([texts[i] for i in rows], padding=True, truncation=True,
                                    max_length=self.max_length, return_tensors="np", return_token_type_ids=True)
            states = self.session.run(None, {name: tokens[name].astype(np.int64) for name in INPUTS})[0]
            if self.pooling == "cls":
                pooled = states[:, 0]
            else:
                mask = tokens["attention_mask"][..., None].astype(np.float32)
                pooled = (states * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
            if out is None:
                out = np.zeros((len(texts), pooled.shape[1]), np.float32)
            out[rows] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return out if out is not None else np.zeros((0, 0), np.float32)
