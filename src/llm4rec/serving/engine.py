"""What the service does, as plain Python: recommend, similar items, feedback, forgetting,
hot swap. The HTTP layer (`serving.app`) only translates requests to these calls.

One `ServedModel` per bundle version is built off to the side and swapped in by a single
reference assignment, so a request holds one consistent version from start to end.
Histories are the bundle's training histories plus every event the feedback store received
that the bundle does not already hold, whatever the event's own timestamp (replayed from the
durable store at start and on every swap; a bundle built from the store records the store's
last sequence number, `STORE_SEQ`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from llm4rec.errors import ConfigError, UnknownIdError
from llm4rec.models.base import MANIFEST, top_k
from llm4rec.ranking.online import OnlineReranker
from llm4rec.ranking.policies import make_policy
from llm4rec.retrieval.index import VectorIndex
from llm4rec.serving.bundle import Bundle, latest_bundle, load_bundle
from llm4rec.serving.erasure import Erasure, Places, erase_user
from llm4rec.serving.feedback_store import Event, FeedbackStore

CACHE_SIZE = 100_000  # users whose results are cached; the least recently used are dropped
POLICY_CANDIDATES = 100  # model candidates an online policy reranks
STORE_SEQ = "feedback_store_seq"  # manifest key: the store's events up to this number are in the bundle


@dataclass(frozen=True)
class Ranked:
    """A ranked list as the service returns it."""

    item_ids: list[str]
    titles: list[str]
    scores: list[float]
    model: str
    version: str


@dataclass
class ServedModel:
    """One bundle version with its lookup structures; histories grow with feedback."""

    bundle: Bundle
    histories: dict[str, list[int]]
    titles: np.ndarray
    lowercase_titles: pd.Series  # for title search without a Python loop per request
    similar_index: VectorIndex | None
    known_users: set[str] = field(default_factory=set)  # users whose history is still what the model fit
    reranker: OnlineReranker | None = None  # an online slate policy over the model's candidates

    @classmethod
    def build(cls, bundle: Bundle, store: FeedbackStore, policy: str | None = None) -> ServedModel:
        """The bundle with every stored event it does not hold replayed onto its histories."""
        interactions = bundle.interactions
        histories = {uid: h.tolist() for uid, h in zip(interactions.users.ids, interactions.histories(), strict=True)
                     if len(h)}
        ids = interactions.items.ids
        titles = np.asarray(bundle.catalog.titles(ids) if bundle.catalog is not None else ids, dtype=object)
        embeddings = bundle.model.item_embeddings()
        index = None
        if embeddings is not None:
            unit = embeddings / (np.linalg.norm(embeddings, axis=1, keepdims=True) + 1e-12)
            index = VectorIndex(unit)
        reranker = None if policy is None else OnlineReranker(
            make_policy(policy, policy_item_features(bundle), interactions.n_users))
        lowercase = pd.Series(titles, dtype=str).str.lower()
        served = cls(bundle, histories, titles, lowercase, index, set(histories), reranker)
        served.apply(store.events(after=int(bundle.manifest.get(STORE_SEQ, 0))))
        return served

    @property
    def version(self) -> str:
        return self.bundle.version

    def item_index(self, item_ids: list[str]) -> np.ndarray:
        """Indices of known items; UnknownIdError naming every unknown one."""
        items = self.bundle.interactions.items
        unknown = [i for i in item_ids if i not in items]
        if unknown:
            raise UnknownIdError(f"Unknown item id(s) {unknown[:10]}: not in the served model's catalogue "
                                 f"of {len(items)} items.")
        return items.indices(item_ids)

    def apply(self, events: list[Event]) -> int:
        """Append events on known items to their users' histories (and tell the online policy
        about feedback on its open slates); the count applied."""
        items, users = self.bundle.interactions.items, self.bundle.interactions.users
        applied = 0
        for event in events:
            if event.item_id in items:
                item = items.index(event.item_id)
                self.histories.setdefault(event.user_id, []).append(item)
                self.known_users.discard(event.user_id)
                if self.reranker is not None and event.user_id in users:
                    self.reranker.record_click(users.index(event.user_id), item)
                applied += 1
        return applied

    def ranked(self, items: np.ndarray, scores: np.ndarray) -> Ranked:
        keep = np.isfinite(scores) & (items >= 0)
        items, scores = items[keep], scores[keep]
        return Ranked(self.bundle.interactions.items.ids[items].tolist(), self.titles[items].tolist(),
                      [round(float(s), 6) for s in scores], self.bundle.model.name, self.version)


def policy_item_features(bundle: Bundle) -> np.ndarray:
    """Compact item features for an online policy: the catalogue's text embeddings (and side
    features) or, without a catalogue, the model's own item vectors."""
    from llm4rec.models.item_features import side_features, text_vectors
    from llm4rec.ranking.features import compact_item_features

    items = bundle.interactions.items
    if bundle.catalog is not None:
        return compact_item_features(text_vectors(bundle.catalog, items, None, None, "policy"),
                                     side_features(bundle.catalog, items))
    vectors = bundle.model.item_embeddings()
    if vectors is None:
        raise ConfigError(f"An online policy needs item features: the bundle has no catalogue and the "
                          f"{bundle.model.name} model no item vectors. Serve a bundle with items.tsv.")
    return compact_item_features(vectors)


class Engine:
    """The service's state: the served model, the feedback store, the result cache and an
    optional online policy (`policy`: a name from llm4rec.ranking.policies) that reranks
    known users' candidates and learns from their feedback; with a policy, results are not
    cached (each request is a new slate)."""

    def __init__(self, bundle_path: Path | str, store: FeedbackStore, cache_size: int = CACHE_SIZE,
                 policy: str | None = None) -> None:
        self.bundle_path = Path(bundle_path)
        self.cache_size = 0 if policy is not None else cache_size  # a policy's slates change per request
        self.store = store
        self.policy = policy
        self.served = ServedModel.build(load_bundle(self.bundle_path), store, policy)
        self._cache: OrderedDict[str, dict[int, Ranked]] = OrderedDict()  # user -> k -> result
        self._cache_lock = threading.Lock()
        self._cache_epoch = 0  # bumped on every invalidation: a result computed across one is not cached
        self._write_lock = threading.Lock()  # feedback, forgetting and swaps change histories
        self._query_encoder = None
        self._query_vectors: dict[str, np.ndarray] = {}

    # --- reads -------------------------------------------------------------------------

    def cached(self, user_id: str, k: int) -> Ranked | None:
        """The cached top-k of a user for the served version, if there is one."""
        version = self.served.version
        with self._cache_lock:
            hit = self._cache.get(user_id, {}).get(k)
            if hit is None or hit.version != version:
                return None
            self._cache.move_to_end(user_id)
            return hit

    def recommend_user(self, user_id: str, k: int) -> tuple[Ranked, bool]:
        """Top-k for a known user from their latest history; (result, served from cache)."""
        served = self.served
        with self._cache_lock:
            epoch = self._cache_epoch
        hit = self.cached(user_id, k)
        if hit is not None:
            return hit, True
        history = self.user_history(user_id)
        users = None
        if user_id in served.known_users:
            users = np.array([served.bundle.interactions.users.index(user_id)])
        interactions = served.bundle.interactions
        if served.reranker is not None and user_id in interactions.users:
            items, scores = served.bundle.model.recommend([history], max(k, POLICY_CANDIDATES), users=users)
            chosen = served.reranker.rerank(interactions.users.index(user_id), items[0], scores[0], k)
            return served.ranked(items[0][chosen], scores[0][chosen]), False
        items, scores = served.bundle.model.recommend([history], k, users=users)
        result = served.ranked(items[0], scores[0])
        with self._cache_lock:
            if epoch == self._cache_epoch and self.cache_size > 0:
                self._cache.setdefault(user_id, {})[k] = result
                self._cache.move_to_end(user_id)
                if len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return result, False

    def recommend_items(self, item_ids: list[str], query: str | None, k: int, query_weight: float) -> Ranked:
        """Top-k for an anonymous visitor who liked `item_ids` and/or typed `query`."""
        served = self.served
        history = served.item_index(item_ids)
        if not query:
            if not len(history):
                raise ConfigError("Give at least one liked item id or a query.")
            items, scores = served.bundle.model.recommend([history], k)
            return served.ranked(items[0], scores[0])
        from llm4rec.profiles.vectors import profile_vectors
        from llm4rec.ranking.query import query_scores

        item_vectors = self._text_vectors(served)
        model_scores = served.bundle.model.score([history])[0] if len(history) else None
        profile = profile_vectors([history], item_vectors)[0] if len(history) else None
        scores = query_scores(self._encode_query(query, served), item_vectors, model_scores, profile, query_weight)
        scores[history] = -np.inf
        items, top = top_k(scores[None, :], k)
        return served.ranked(items[0], top[0])

    def similar(self, item_id: str, k: int) -> Ranked:
        """Items most similar to one item: ANN/exact over the model's item vectors, or the
        model's own item-item similarities."""
        served = self.served
        item = served.item_index([item_id])
        if served.similar_index is not None:
            items, scores = served.similar_index.search(served.similar_index.vectors[item], k, exclude=[item])
        else:
            items, scores = served.bundle.model.similar_items(item, k)
        return served.ranked(items[0], scores[0])

    def explanations(self, history: np.ndarray, item_ids: list[str], language: str = "en") -> list[str]:
        """A sentence per item from its evidence in `history` (see llm4rec.explain)."""
        from llm4rec.explain.evidence import explain
        from llm4rec.explain.sentences import sentence

        served = self.served
        items = served.item_index(item_ids)
        model, interactions, catalog = served.bundle.model, served.bundle.interactions, served.bundle.catalog
        return [sentence(e, interactions.items, catalog, language)
                for e in explain(model, history, items, interactions, catalog)]

    def profile(self, user_id: str) -> dict:
        """The readable profile of a user's current history, with its plain-language summary."""
        from llm4rec.profiles.summary import describe, readable_profile

        served = self.served
        profile = readable_profile(self.user_history(user_id), served.bundle.interactions.items, served.bundle.catalog)
        return {"user_id": user_id, "summary": describe(profile), "profile": profile}

    def user_history(self, user_id: str) -> np.ndarray:
        """A known user's item indices, oldest first, feedback included."""
        history = self.served.histories.get(user_id)
        if history is None:
            raise UnknownIdError(f"Unknown user {user_id!r}: no history in the served model or its feedback. "
                                 "Use POST /recommend with items or a query for new visitors.")
        return np.asarray(history, dtype=np.int64)

    # --- writes ------------------------------------------------------------------------

    def add_feedback(self, events: list[Event]) -> tuple[int, int]:
        """Store events durably, then apply them; (stored, applied to known items)."""
        with self._write_lock:
            stored = self.store.append(events)
            applied = self.served.apply(events)
            self._invalidate({e.user_id for e in events})
        return stored, applied

    def forget_user(self, user_id: str, key: bytes | None = None) -> Erasure:
        """Erase a user from this deployment (its feedback store, every bundle under its root
        and the reports made from them; see `serving.erasure`) and from memory: history,
        online-policy state, cached results. `key` finds them in pseudonymised bundles."""
        with self._write_lock:
            served = self.served
            served.histories.pop(user_id, None)
            served.known_users.discard(user_id)
            if served.reranker is not None and user_id in served.bundle.interactions.users:
                served.reranker.forget(served.bundle.interactions.users.index(user_id))
            places = Places([served.bundle.path.parent.parent], [], loaded=served.bundle, open_store=self.store)
            erasure = erase_user(user_id, places, key)
            self._invalidate({user_id})
        return erasure

    def reload(self, path: Path | str | None = None) -> tuple[str, str]:
        """Load the newest bundle under `path` (default: the service's bundle path, or the
        model folder holding it) and swap it in atomically; (old version, new version)."""
        source = Path(path or self.bundle_path)
        if (source / MANIFEST).exists():  # a version folder: look for newer versions beside it
            source = source.parent
        folder = latest_bundle(source)
        fresh = load_bundle(folder)
        with self._write_lock:  # no feedback lands between the replay and the swap
            replacement = ServedModel.build(fresh, self.store, self.policy)
            old, self.served = self.served, replacement
            self._query_vectors.clear()
        with self._cache_lock:
            self._cache.clear()
            self._cache_epoch += 1
        return old.version, replacement.version

    # --- internals ---------------------------------------------------------------------

    def _invalidate(self, users: set[str]) -> None:
        with self._cache_lock:
            self._cache_epoch += 1
            for user in users:
                self._cache.pop(user, None)

    def _text_vectors(self, served: ServedModel) -> np.ndarray:
        """The catalogue's text embeddings for queries (encoded once per version, disk-cached)."""
        vectors = self._query_vectors.get(served.version)
        if vectors is None:
            from llm4rec.models.item_features import text_vectors

            vectors = text_vectors(served.bundle.catalog, served.bundle.interactions.items,
                                   served.bundle.model.params.get("text_model"), None, "query")
            self._query_vectors[served.version] = vectors
        return vectors

    def _encode_query(self, query: str, served: ServedModel) -> np.ndarray:
        """The query's vector from the encoder the served model was trained with."""
        encoder = served.bundle.model.params.get("text_model")
        if self._query_encoder is None or self._query_encoder[0] != encoder:
            from llm4rec.text.encoder import TextEncoder

            self._query_encoder = (encoder, TextEncoder(encoder, cache=False))
        return self._query_encoder[1].encode([query])[0]
