"""A fine-tuned encoder folder (written by `llm4rec finetune`): a manifest naming the base
model plus the trained weights, loadable wherever an encoder path is expected.

Layout: `llm4rec_encoder.json` (method, base model, settings, training record) and
- `head.pt` for the `head` method: a residual MLP applied to the frozen base vectors;
- `adapter/` for `lora` and `adalora`: the peft adapter of the base transformer;
- `model/` for `full`: the whole fine-tuned sentence-transformers model.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from llm4rec.errors import ConfigError
from llm4rec.text.heads import ResidualHead

MANIFEST = "llm4rec_encoder.json"
WEIGHT_FILES = ("head.pt", "adapter/adapter_model.safetensors", "model/model.safetensors")


def is_tuned_folder(path: Path) -> bool:
    return (path / MANIFEST).exists()


def read_manifest(path: Path) -> dict[str, Any]:
    return json.loads((path / MANIFEST).read_text())


def fingerprint(path: Path) -> str:
    """A short hash of the manifest and weights, so a re-trained folder never reuses old vectors."""
    digest = hashlib.sha256((path / MANIFEST).read_bytes())
    for name in WEIGHT_FILES:
        if (path / name).exists():
            digest.update((path / name).read_bytes())
    return digest.hexdigest()[:12]


def load_sentence_transformer(path: Path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(path), device="cpu", local_files_only=True)


def load_tuned_transformer(path: Path, manifest: dict[str, Any]):
    """The sentence-transformer of a `lora`, `adalora` or `full` folder: the saved model, or the
    base model wrapped with the saved adapter."""
    if manifest["method"] == "full":
        return load_sentence_transformer(path / "model")
    from peft import PeftModel

    from llm4rec.text.encoder import resolve_model_path

    model = load_sentence_transformer(resolve_model_path(manifest["base_model"]))
    model[0].model = PeftModel.from_pretrained(model[0].model, str(path / "adapter"))
    model.eval()
    return model


class TunedSentenceModel:
    """`encode` / `get_sentence_embedding_dimension` like a SentenceTransformer, for a
    fine-tuned folder; the `head` method encodes with the (cached) base encoder first."""

    def __init__(self, path: Path, backend: str) -> None:
        from llm4rec.text.encoder import TextEncoder, resolve_model_path

        manifest = read_manifest(path)
        self.method = manifest["method"]
        if self.method == "head":
            self.base = TextEncoder(resolve_model_path(manifest["base_model"]), backend=backend)
            self.head = ResidualHead(manifest["dimension"], manifest["settings"]["hidden"])
            self.head.load_state_dict(torch.load(path / "head.pt", weights_only=True))
            self.head.eval()
            return
        if backend != "torch":
            raise ConfigError(f"The {self.method} encoder at {path} runs on the torch backend only",
                              hint="Drop --encoder-backend, or use a `head` fine-tune (any backend).")
        self.model = load_tuned_transformer(path, manifest)

    def get_sentence_embedding_dimension(self) -> int:
        if self.method == "head":
            return self.head.outer.out_features
        return self.model.get_sentence_embedding_dimension()

    def encode(self, texts: list[str], batch_size: int = 64, show_progress_bar: bool = False,
               **_: Any) -> np.ndarray:
        if self.method != "head":
            return self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                     show_progress_bar=show_progress_bar, convert_to_numpy=True)
        with torch.inference_mode():
            return self.head(torch.from_numpy(self.base.encode(texts))).numpy()
