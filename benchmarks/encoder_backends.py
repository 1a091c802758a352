"""Encoder backends: speed, closeness to the float embeddings, and what they do to NDCG@10.

For each dataset's item texts (the default template): texts/s of a plain
`SentenceTransformer.encode` call and of the onnx / onnx-int8 backends in the same run (two
threads, warm models, no cache), the mean and minimum cosine of each backend's vectors to
the float ones, and the int8 variants the default was chosen from (per-tensor scales,
per-channel scales, and which layers stay float), each with the text model's test NDCG@10
and its paired bootstrap interval against the float encoder. Then every text-aware model is
tuned on valid and tested once with each backend.

    python benchmarks/encoder_backends.py --out benchmarks/results/encoder_backends.json
    python benchmarks/encoder_backends.py --encoding-only --out benchmarks/results/int8_variants.json
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np
import torch

from llm4rec.data.split_dir import read_split_dir
from llm4rec.data.splits import Split
from llm4rec.evaluation.intervals import paired_difference_ci
from llm4rec.evaluation.protocol import tune_and_test
from llm4rec.evaluation.ranking import EvalCases, evaluate
from llm4rec.models.text_content import TextContent
from llm4rec.settings import cache_root, overridden
from llm4rec.text.encoder import TextEncoder
from llm4rec.text.onnx_backend import INPUTS, OnnxSentenceModel, feed_forward_output, float_products, quantize
from llm4rec.text.templates import ItemTextTemplate

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
DATASETS = ("ml-100k-loo", "amazon-office-loo")
MODELS = ("text", "hybrid", "seqhybrid")
INT8_VARIANTS = {  # name: (per-channel weight scales, which weight products stay float)
    "per-tensor": (False, lambda node: False),
    "per-channel": (True, lambda node: False),
    "per-channel, feed-forward outputs float (the default)": (True, feed_forward_output),
    "per-channel, feed-forward outputs and layer 0 float": (True, lambda n: feed_forward_output(n) or "/layer.0/" in n),
    "per-channel, feed-forward and attention outputs float": (True, lambda n: n.endswith("/output/dense/MatMul")),
    "per-channel, only attention int8": (True, lambda n: "attention" not in n),
}

STATIC_VARIANTS = {  # static int8 (QDQ), activation ranges calibrated on the catalogue's own texts
    "static, feed-forward outputs float": feed_forward_output,
    "static, all layers": lambda node: False,
}


class CatalogueBatches:
    """onnxruntime's calibration reader: 16 batches of 32 of the catalogue's texts, tokenised."""

    def __init__(self, texts: list[str], model_path: Path) -> None:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(str(model_path))
        rng = np.random.default_rng(0)
        chosen = [texts[i] for i in rng.choice(len(texts), min(512, len(texts)), replace=False)]
        self.batches = iter([
            {name: values.astype(np.int64) for name, values in tokenizer(
                chosen[start:start + 32], padding=True, truncation=True, max_length=256, return_tensors="np",
                return_token_type_ids=True).items() if name in INPUTS}
            for start in range(0, len(chosen), 32)])

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self.batches, None)


def quantize_static_int8(float_model: Path, out: Path, texts: list[str], model_path: Path, keep_float) -> None:
    """Weights and activations int8 (per-channel weights, MinMax activation ranges)."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    quantize_static(str(float_model), str(out), CatalogueBatches(texts, model_path), quant_format=QuantFormat.QDQ,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, per_channel=True,
                    op_types_to_quantize=["MatMul"], nodes_to_exclude=float_products(float_model, keep_float),
                    calibrate_method=CalibrationMethod.MinMax)


def texts_per_second(encode, texts: list[str]) -> float:
    encode(texts[:64])  # warm up
    started = time.perf_counter()
    encode(texts)
    return len(texts) / (time.perf_counter() - started)


def text_cases(vectors: np.ndarray, valid: EvalCases, test: EvalCases) -> np.ndarray:
    """Per-case test NDCG@10 of the text model over `vectors`, its half-life chosen on valid."""
    half_life = max(TextContent.search_space(), key=lambda params: evaluate(
        TextContent.from_vectors(vectors, **params), valid, (10,)).summary["NDCG@10"])
    return evaluate(TextContent.from_vectors(vectors, **half_life), test, (10,)).per_case["NDCG@10"]


def closeness(vectors: np.ndarray, reference: np.ndarray, speed: float, plain_speed: float) -> dict:
    cosine = (vectors * reference).sum(axis=1)
    return {"texts_per_s": round(speed, 1), "speedup": round(speed / plain_speed, 2),
            "mean_cosine": round(float(cosine.mean()), 4), "min_cosine": round(float(cosine.min()), 4)}


def speed_and_closeness(texts: list[str], split: Split) -> dict:
    """Each backend and int8 variant against plain sentence-transformers: speed, cosine, and
    the text model's test NDCG@10 with its paired bootstrap interval against the float one."""
    plain = TextEncoder(cache=False, show_progress=False, backend="torch").model
    reference = plain.encode(texts, batch_size=64, normalize_embeddings=True)
    plain_speed = texts_per_second(lambda t: plain.encode(t, batch_size=64, normalize_embeddings=True), texts)
    valid, test = EvalCases.build(split.train, split.valid), EvalCases.build(split.train_valid(), split.test)
    reference_cases = text_cases(reference, valid, test)
    out = {"texts": len(texts), "sentence_transformers_texts_per_s": round(plain_speed, 1),
           "text_ndcg@10": round(float(reference_cases.mean()), 4)}

    def measure(encode) -> dict:
        vectors = encode(texts)
        row = closeness(vectors, reference, texts_per_second(encode, texts), plain_speed)
        cases = text_cases(vectors, valid, test)
        difference = paired_difference_ci(cases, reference_cases)
        relative = {bound: round(difference[bound] / reference_cases.mean(), 4) for bound in ("mean", "low", "high")}
        return row | {"text_ndcg@10": round(float(cases.mean()), 4), "text_ndcg_relative_change": relative,
                      "cases_changed": int((cases != reference_cases).sum())}

    for backend in ("onnx", "onnx-int8"):
        out[backend] = measure(TextEncoder(cache=False, show_progress=False, backend=backend).encode)
    base = TextEncoder(cache=False, backend="onnx")
    float_model = cache_root() / "onnx" / base.base_id / "model.onnx"
    builders = {name: partial(quantize, per_channel=per_channel, keep_float=keep_float)
                for name, (per_channel, keep_float) in INT8_VARIANTS.items()}
    builders |= {name: partial(quantize_static_int8, texts=texts, model_path=base.path, keep_float=keep_float)
                 for name, keep_float in STATIC_VARIANTS.items()}
    with tempfile.TemporaryDirectory() as folder:
        for number, (name, build) in enumerate(builders.items()):
            variant = Path(folder) / str(number)
            variant.mkdir()
            (variant / "model.onnx").symlink_to(float_model)
            build(float_model, variant / "model-int8.onnx")
            out[f"int8 {name}"] = measure(OnnxSentenceModel(base.path, variant, quantized=True).encode)
            print(name, out[f"int8 {name}"], file=sys.stderr, flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/encoder_backends.json"))
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--encoding-only", action="store_true",
                        help="speed, closeness and the text model per backend and int8 variant; no model table")
    args = parser.parse_args()
    torch.set_num_threads(2)
    report = {"command": "python " + " ".join(sys.argv), "datasets": {}}
    for dataset in args.datasets.split(","):
        split, _ = read_split_dir(SHARED / dataset)
        texts = ItemTextTemplate().render(split.catalog, split.train.items)
        entry = {"encoding": speed_and_closeness(texts, split), "ndcg@10": {}}
        print(dataset, json.dumps(entry["encoding"]), flush=True)
        if args.encoding_only:
            report["datasets"][dataset] = entry
            continue
        for backend in ("torch", "onnx", "onnx-int8"):
            for model in args.models.split(","):
                with overridden(encoder_backend=backend):
                    result = tune_and_test(model, split)
                entry["ndcg@10"].setdefault(model, {})[backend] = round(result.test["NDCG@10"], 4)
                print(dataset, backend, model, entry["ndcg@10"][model][backend], flush=True)
        report["datasets"][dataset] = entry
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
