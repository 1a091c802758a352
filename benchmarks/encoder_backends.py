"""Encoder backends: speed, closeness to the float embeddings, and what they do to NDCG@10.

For each dataset's item texts (the default template): texts/s of a plain
`SentenceTransformer.encode` call and of the onnx / onnx-int8 backends in the same run (two
threads, warm models, no cache), the mean and minimum cosine of each backend's vectors to
the float ones, and the int8 variants the default was chosen from (per-tensor scales,
per-channel scales, per-channel with the feed-forward outputs in float). Then every
text-aware model is tuned on valid and tested once with each backend.

    python benchmarks/encoder_backends.py --out benchmarks/results/encoder_backends.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

from llm4rec.data.split_dir import read_split_dir
from llm4rec.evaluation.protocol import tune_and_test
from llm4rec.text.encoder import BACKEND_VARIABLE, TextEncoder, cache_root
from llm4rec.text.onnx_backend import OnnxSentenceModel, quantize
from llm4rec.text.templates import ItemTextTemplate

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
DATASETS = ("ml-100k-loo", "amazon-office-loo")
MODELS = ("text", "hybrid", "seqhybrid")
INT8_VARIANTS = {"per-tensor": {"per_channel": False, "keep_float": ()},
                 "per-channel": {"per_channel": True, "keep_float": ()}}


def texts_per_second(encode, texts: list[str]) -> float:
    encode(texts[:64])  # warm up
    started = time.perf_counter()
    encode(texts)
    return len(texts) / (time.perf_counter() - started)


def speed_and_closeness(texts: list[str]) -> dict:
    plain = TextEncoder(cache=False, show_progress=False, backend="torch").model
    reference = plain.encode(texts, batch_size=64, normalize_embeddings=True)
    out = {"texts": len(texts), "sentence_transformers_texts_per_s": round(texts_per_second(
        lambda t: plain.encode(t, batch_size=64, normalize_embeddings=True), texts), 1)}
    for backend in ("onnx", "onnx-int8"):
        encoder = TextEncoder(cache=False, show_progress=False, backend=backend)
        vectors = encoder.encode(texts)
        cosine = (vectors * reference).sum(axis=1)
        speed = texts_per_second(encoder.encode, texts)
        out[backend] = {"texts_per_s": round(speed, 1),
                        "speedup": round(speed / out["sentence_transformers_texts_per_s"], 2),
                        "mean_cosine": round(float(cosine.mean()), 4), "min_cosine": round(float(cosine.min()), 4)}
    base = TextEncoder(cache=False, backend="onnx")
    float_model = cache_root().parent / "onnx" / base.base_id / "model.onnx"
    with tempfile.TemporaryDirectory() as folder:
        for name, settings in INT8_VARIANTS.items():
            variant = Path(folder) / name
            variant.mkdir()
            (variant / "model.onnx").symlink_to(float_model)
            quantize(float_model, variant / "model-int8.onnx", **settings)
            model = OnnxSentenceModel(base.path, variant, quantized=True)
            cosine = (model.encode(texts) * reference).sum(axis=1)
            speed = texts_per_second(model.encode, texts)
            out[f"int8 {name}"] = {"texts_per_s": round(speed, 1),
                                   "speedup": round(speed / out["sentence_transformers_texts_per_s"], 2),
                                   "mean_cosine": round(float(cosine.mean()), 4),
                                   "min_cosine": round(float(cosine.min()), 4)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/encoder_backends.json"))
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--models", default=",".join(MODELS))
    args = parser.parse_args()
    torch.set_num_threads(2)
    report = {"command": "python " + " ".join(sys.argv), "datasets": {}}
    for dataset in args.datasets.split(","):
        split, _ = read_split_dir(SHARED / dataset)
        texts = ItemTextTemplate().render(split.catalog, split.train.items)
        entry = {"encoding": speed_and_closeness(texts), "ndcg@10": {}}
        print(dataset, json.dumps(entry["encoding"]), flush=True)
        for backend in ("torch", "onnx", "onnx-int8"):
            os.environ[BACKEND_VARIABLE] = backend
            for model in args.models.split(","):
                result = tune_and_test(model, split)
                entry["ndcg@10"].setdefault(model, {})[backend] = round(result.test["NDCG@10"], 4)
                print(dataset, backend, model, entry["ndcg@10"][model][backend], flush=True)
        report["datasets"][dataset] = entry
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
