"""The one protocol every model follows, and its plain-folder save format (no pickle)."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import scipy.sparse as sp
from pydantic import BaseModel, ConfigDict, ValidationError

import llm4rec
from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.interactions import Interactions
from llm4rec.errors import ConfigError, NotFittedError

MANIFEST = "manifest.json"
ARRAYS = "arrays.npz"
FORMAT = "llm4rec-model/1"
SCORE_BUDGET = 40_000_000  # score-matrix elements scored at once in batch work (~160 MB of float32)


class ModelConfig(BaseModel):
    """Hyper-parameters of a model: typed, unknown keys rejected, stored unchanged."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def history_matrix(histories: Sequence[np.ndarray], n_items: int) -> sp.csr_matrix:
    """Binary (n_users, n_items) CSR matrix of the items in each history."""
    lengths = np.fromiter((len(h) for h in histories), dtype=np.int64, count=len(histories))
    columns = np.concatenate(histories).astype(np.int64) if len(histories) else np.zeros(0, np.int64)
    if len(columns) and (columns.min() < 0 or columns.max() >= n_items):
        raise ConfigError(f"History item indices must lie in [0, {n_items}); got {columns.min()}..{columns.max()}")
    rows = np.repeat(np.arange(len(histories)), lengths)
    matrix = sp.csr_matrix((np.ones(len(columns), np.float32), (rows, columns)),
                           shape=(len(histories), n_items))
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and values of each row's k largest scores, best first."""
    k = min(k, scores.shape[1])
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1, kind="stable")
    items = np.take_along_axis(top, order, axis=1)
    return items, np.take_along_axis(scores, items, axis=1)


class FitCache:
    """Sub-models fitted during one tuning run and shared by its settings (the hybrid's EASE
    solve, the same for every text weight). The run creates it and drops it with itself; it keeps
    the `keep` most recent entries, since each may be a dense items x items matrix."""

    def __init__(self, keep: int = 1) -> None:
        self.keep = keep
        self._entries: dict[tuple, Any] = {}

    def get_or_fit(self, key: tuple, fit: Callable[[], Any]) -> Any:
        if key not in self._entries:
            self._entries[key] = fit()
            while len(self._entries) > self.keep:
                self._entries.pop(next(iter(self._entries)))
        return self._entries[key]


class Recommender(ABC):
    """Fit on interactions, then score or recommend for batches of user histories.

    A history is a user's item indices in time order, so known users, new users and
    sequential models are served the same way. `users` (optional, aligned with histories)
    tells models that learned per-user state which known user each history is; pass it only
    when the history is exactly what the model was fitted on for that user.
    """

    name: ClassVar[str]
    reads_text: ClassVar[bool] = False  # it reads the item catalogue's text by default
    encodes_text: ClassVar[bool] = False  # it can use a sentence encoder (takes `text_model`)
    reads_weights: ClassVar[bool] = False  # it can learn from confidence weights (takes `weighted`)
    seeded: ClassVar[bool] = False  # its fit draws random numbers from a `seed` setting (evaluate --seeds)
    fit_cache_entries: ClassVar[int] = 1  # sub-fits a tuning run keeps for this model (see FitCache)
    ranks_by_scores: ClassVar[bool] = True  # recommend() is the top of score(); False: it searches otherwise
    open_ended: ClassVar[tuple[str, ...]] = ()  # positive numeric settings tuning may try past the grid's edge
    learns_from_users: ClassVar[bool] = True  # its learned arrays depend on training users (forgetting refits)
    Config: ClassVar[type[ModelConfig]] = ModelConfig

    def __init__(self, **params: Any) -> None:
        try:
            self.config = self.Config(**params)
        except ValidationError as error:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in error.errors())
            accepted = ", ".join(self.Config.model_fields) or "no settings"
            raise ConfigError(f"Bad {self.name} settings: {problems}", hint=f"{self.name} takes {accepted}.") from None

    @classmethod
    def search_space(cls) -> list[dict[str, Any]]:
        """The small grid of settings tuned on validation data (default settings alone here)."""
        return [{}]

    @property
    def params(self) -> dict[str, Any]:
        return self.config.model_dump()

    @abstractmethod
    def fit(self, interactions: Interactions, catalog: ItemCatalog | None = None,
            cache: FitCache | None = None) -> Self:
        """Learn from interactions (and the catalogue if the model reads it); `cache`, a tuning
        run's, lets a model share sub-fits between the settings of the run."""

    @abstractmethod
    def _score(self, histories: Sequence[np.ndarray], users: np.ndarray | None) -> np.ndarray:
        """Scores (n_histories, n_items) for fitted models; higher is better."""

    @abstractmethod
    def _state(self) -> dict[str, np.ndarray]:
        """The learned arrays, enough to restore the model with `_restore`."""

    @abstractmethod
    def _restore(self, state: dict[str, np.ndarray]) -> None:
        """Set learned attributes from `_state`'s arrays."""

    def refit_settings(self) -> dict[str, Any]:
        """Settings this fit chose on its own that a refit on more data should keep (the epochs
        early stopping picked); applied by the evaluation protocol's train+valid refit."""
        return {}

    def is_fitted(self) -> bool:
        return hasattr(self, "n_items_")

    def _check_fitted(self) -> None:
        if not self.is_fitted():
            raise NotFittedError(type(self).__name__)

    def score(self, histories: Sequence[np.ndarray], users: np.ndarray | None = None) -> np.ndarray:
        """Float32 scores (n_histories, n_items) for each history."""
        self._check_fitted()
        histories = [np.asarray(h, dtype=np.int64) for h in histories]
        return np.asarray(self._score(histories, users), dtype=np.float32)

    def recommend(
        self,
        histories: Sequence[np.ndarray],
        k: int = 10,
        exclude_seen: bool = True,
        users: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (items, scores) per history, best first; seen items left out by default."""
        scores = self.score(histories, users)
        if exclude_seen:
            matrix = history_matrix([np.asarray(h, np.int64) for h in histories], scores.shape[1])
            scores[matrix.nonzero()] = -np.inf
        return top_k(scores, k)

    def similar_items(self, items: Sequence[int], k: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (items, similarities) for each given item index, the item itself left out."""
        self._check_fitted()
        items = np.asarray(items, dtype=np.int64)
        similarities = np.array(self._similarities(items), dtype=np.float32)
        similarities[np.arange(len(items)), items] = -np.inf
        return top_k(similarities, k)

    def item_embeddings(self) -> np.ndarray | None:
        """(n_items, d) item vectors the model ranks with (factors, text embeddings, a
        sequential model's item table), for ANN retrieval and similarities; None if it has none."""
        return None

    def user_vectors(self, histories: Sequence[np.ndarray], users: np.ndarray | None = None) -> np.ndarray | None:
        """(n_histories, d) vectors whose inner products with `item_embeddings()` are the scores,
        so a large catalogue can be searched for candidates (see retrieval.two_stage); None for a
        model whose scores are not such products (it is served by exact scoring)."""
        self._check_fitted()
        return self._user_vectors([np.asarray(h, dtype=np.int64) for h in histories], users)

    def _user_vectors(self, histories: Sequence[np.ndarray], users: np.ndarray | None) -> np.ndarray | None:
        return None

    def _similarities(self, items: np.ndarray) -> np.ndarray:
        """Similarity (len(items), n_items) of the given items to every item: cosine of the
        item embeddings unless a model defines its own."""
        vectors = self.item_embeddings()
        if vectors is None:
            raise NotImplementedError(f"{type(self).__name__} does not compute item similarities.")
        unit = vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12)
        return unit[items] @ unit.T

    def forget_users(self, users: np.ndarray) -> None:
        """Erase learned per-user state of these user indices (none here: models that keep
        some, such as user factors, override this) so a forgotten user leaves no trace."""
        return None

    def save(self, path: str | Path) -> Path:
        """Write a folder: manifest.json (model, params, versions) and arrays.npz."""
        self._check_fitted()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        state = self._state() | {"n_items_": np.asarray(self.n_items_)}
        np.savez(path / ARRAYS, **state)
        manifest = {
            "format": FORMAT,
            "model": self.name,
            "params": self.params,
            "arrays": sorted(state),
            "versions": {"llm4rec": llm4rec.__version__, "numpy": np.__version__},
        }
        (path / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        return path

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """Restore a model written by `save` (arrays only: loading runs no stored code)."""
        path = Path(path)
        manifest = json.loads((path / MANIFEST).read_text())
        if manifest.get("model") != cls.name:
            raise ConfigError(f"{path} holds a {manifest.get('model')!r} model, not {cls.name!r}")
        model = cls(**manifest["params"])
        with np.load(path / ARRAYS, allow_pickle=False) as arrays:
            state = {name: arrays[name] for name in arrays.files}
        model.n_items_ = int(state.pop("n_items_"))
        model._restore(state)
        return model
