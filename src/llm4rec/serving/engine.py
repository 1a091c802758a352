"""The service's state as plain Python: the served model (whose reads are in `serving.reads`,
shared with the CLI), the result cache, feedback, forgetting and hot swap. The HTTP layer
(`serving.app`) only translates requests to these calls.

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
from pathlib import Path

import numpy as np

from llm4rec.errors import ConfigError, UnknownIdError
from llm4rec.feedback.weights import FeedbackConfig, inhuman_rate
from llm4rec.models.base import MANIFEST
from llm4rec.ranking.online import OnlineReranker
from llm4rec.ranking.policies import make_policy
from llm4rec.retrieval.two_stage import TWO_STAGE_FROM
from llm4rec.serving.bundle import Bundle, latest_bundle, load_bundle
from llm4rec.serving.erasure import Erasure, Places, erase_user
from llm4rec.serving.feedback_store import Event, FeedbackStore, NewItem
from llm4rec.serving.live_items import check_new_items
from llm4rec.serving.reads import Ranked, ServedModel
from llm4rec.serving.streams import live_model, missing_events

CACHE_SIZE = 100_000  # users whose results are cached; the least recently used are dropped
POLICY_CANDIDATES = 100  # model candidates an online policy reranks


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
                 policy: str | None = None, two_stage_from: int = TWO_STAGE_FROM) -> None:
        self.bundle_path = Path(bundle_path)
        self.cache_size = 0 if policy is not None else cache_size  # a policy's slates change per request
        self.store = store
        self.policy = policy
        self.two_stage_from = two_stage_from
        self._read_reviews()
        self.served = self._build(load_bundle(self.bundle_path))
        self._cache: OrderedDict[str, dict[int, Ranked]] = OrderedDict()  # user -> k -> result
        self._cache_lock = threading.Lock()
        self._cache_epoch = 0  # bumped on every invalidation: a result computed across one is not cached
        self._write_lock = threading.Lock()  # feedback, forgetting and swaps change histories

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
        interactions = served.bundle.interactions
        if served.reranker is not None and user_id in interactions.users:
            history, users = served.user_history(user_id), served.fitted_user(user_id)
            items, scores = served.top(history, max(k, POLICY_CANDIDATES), users)
            chosen = served.reranker.rerank(interactions.users.index(user_id), items, scores, k)
            return served.ranked(items[chosen], scores[chosen]), False
        result = served.recommend_user(user_id, k)
        with self._cache_lock:
            if epoch == self._cache_epoch and self.cache_size > 0:
                self._cache.setdefault(user_id, {})[k] = result
                self._cache.move_to_end(user_id)
                if len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return result, False

    # --- writes ------------------------------------------------------------------------

    def add_feedback(self, events: list[Event]) -> tuple[int, int, int]:
        """Store events durably, then apply those of streams not held; (stored, applied to known
        items, held). A stream faster than the bundle's bot rate is held from here on."""
        with self._write_lock:
            stored = self.store.append(events)
            users = {e.user_id for e in events}
            for user in users - self._reviewed:
                if inhuman_rate(*self.store.activity(user), self._bot_rate()):
                    self.store.review(user, "held", f"more than {self._bot_rate():g} events a minute")
                    self.held.add(user)
                    self._reviewed.add(user)
                    self.served.reset_history(user)  # what it already applied goes too
            live = [e for e in events if e.user_id not in self.held]
            applied = self.served.apply(live)
            self._invalidate(users)
        return stored, applied, len(events) - len(live)

    def add_items(self, items: list[NewItem]) -> int:
        """Check, store durably, then place items added live (see serving.live_items); every
        cached list is dropped, since any may now include them. The count stored."""
        with self._write_lock:
            check_new_items(self.served.bundle, items)
            stored = self.store.add_items(items)
            self.served.add_items(items)
            self._invalidate_all()
        return stored

    def release(self, user_id: str) -> int:
        """An admin's release of a held stream: its stored events enter the history (and the next
        retraining) and the rate rule no longer holds it; the count applied."""
        with self._write_lock:
            if user_id not in self.held:
                raise UnknownIdError(f"User {user_id!r} has no held stream; GET /admin/held lists those held.")
            self.store.review(user_id, "released", "released by an admin")
            self.held.discard(user_id)
            applied = self.served.apply(missing_events(self.served.bundle, self.store, user_id))
            self._invalidate({user_id})
        return applied

    def forget_user(self, user_id: str, key: bytes | None = None) -> Erasure:
        """Erase a user from this deployment (its feedback store, every bundle under its root
        and the reports made from them; see `serving.erasure`) and from memory: history,
        online-policy state, cached results. `key` finds them in pseudonymised bundles."""
        with self._write_lock:
            served = self.served
            served.histories.pop(user_id, None)
            served.live_seen.pop(user_id, None)
            served.known_users.discard(user_id)
            self.held.discard(user_id)  # the store forgets the review with the events
            self._reviewed.discard(user_id)
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
            self._read_reviews()  # `llm4rec retrain` may have held streams its shilling check flagged
            replacement = self._build(fresh)
            old, self.served = self.served, replacement
        self._invalidate_all()
        return old.version, replacement.version

    # --- internals ---------------------------------------------------------------------

    def _read_reviews(self) -> None:
        reviews = self.store.reviews()
        self.held = {user for user, (status, _) in reviews.items() if status == "held"}
        self._reviewed = set(reviews)  # held or released: the automatic rule does not judge them again

    def _invalidate(self, users: set[str]) -> None:
        with self._cache_lock:
            self._cache_epoch += 1
            for user in users:
                self._cache.pop(user, None)

    def _invalidate_all(self) -> None:
        with self._cache_lock:
            self._cache.clear()
            self._cache_epoch += 1

    def _build(self, bundle: Bundle) -> ServedModel:
        """The bundle with every stored event it does not hold replayed (see the module)."""
        reranker = None if self.policy is None else OnlineReranker(
            make_policy(self.policy, policy_item_features(bundle), bundle.interactions.n_users))
        return live_model(bundle, self.store, reranker, self.two_stage_from)

    def _bot_rate(self) -> float:
        """Events a minute above which a stream is held: the served bundle's mining setting."""
        mining = (self.served.bundle.manifest.get("feedback") or {}).get("config") or {}
        return FeedbackConfig(**mining).bot_events_per_minute
