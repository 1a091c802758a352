"""Every read of a trained bundle, for the CLI and the service alike: recommendations for a known
user, for a list of liked items, for a text query blended with a profile, similar items, title
search, explanations and the readable profile.

`ServedModel` is one bundle version with its lookup structures. The service keeps one (histories
grow with feedback) and swaps it on reload; a CLI read command builds one from a bundle and asks
the same methods, so the two doors give the same answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from llm4rec.errors import UnknownIdError
from llm4rec.models.base import SCORE_BUDGET, history_matrix, top_k
from llm4rec.progress import track
from llm4rec.ranking.online import OnlineReranker
from llm4rec.ranking.query import DEFAULT_QUERY_WEIGHT
from llm4rec.ranking.query_parser import QueryConstraints
from llm4rec.retrieval.index import VectorIndex
from llm4rec.retrieval.two_stage import TWO_STAGE_FROM, TwoStageRetriever, supports_two_stage
from llm4rec.serving.bundle import Bundle
from llm4rec.serving.feedback_store import Event, NewItem
from llm4rec.serving.live_items import LiveItems

if TYPE_CHECKING:
    from llm4rec.explain.wording import TitleCheck

MAX_K = 1000  # the most items one answer lists, on every door
PREFERENCE_WEIGHT = 1.0  # standard deviations added for having the categories a query asks for


@dataclass(frozen=True)
class Ranked:
    """A ranked list as both doors return it."""

    item_ids: list[str]
    titles: list[str]
    scores: list[float]
    model: str
    version: str
    notes: tuple[str, ...] = ()  # what the reader should know about this list (an uncovered query language)
    constraints: dict[str, Any] | None = None  # what a text query was understood to ask (see ranking.query_parser)

    def as_json(self, explanations: list[str] | None = None) -> dict[str, Any]:
        explanations = explanations or [None] * len(self.item_ids)
        items = [{"item_id": i, "title": t, "score": s, "explanation": e}
                 for i, t, s, e in zip(self.item_ids, self.titles, self.scores, explanations, strict=True)]
        return {"items": items, "model": self.model, "model_version": self.version, "notes": list(self.notes),
                "constraints": self.constraints}


@lru_cache(maxsize=2)
def query_encoder(name: str | None):
    """The sentence encoder a bundle's model was trained with, loaded once per process."""
    from llm4rec.text.encoder import TextEncoder

    return TextEncoder(name, cache=False)


@dataclass
class ServedModel:
    """One bundle version with its lookup structures; `histories` grow with feedback."""

    bundle: Bundle
    histories: dict[str, list[int]]
    item_ids: np.ndarray  # the catalogue's ids, then those of items added live
    titles: np.ndarray  # in the same order
    lowercase_titles: pd.Series  # for title search without a Python loop per request
    similar_index: VectorIndex | None
    known_users: set[str] = field(default_factory=set)  # users whose history is still what the model fit
    reranker: OnlineReranker | None = None  # an online slate policy over the model's candidates (service)
    retriever: TwoStageRetriever | None = None  # for large catalogues (see retrieval.two_stage); None: exact
    new_items: list[NewItem] = field(default_factory=list)  # added live (service), as stored
    live: LiveItems | None = None  # those the bundle does not hold, placed (see serving.live_items)
    live_seen: dict[str, set[int]] = field(default_factory=dict)  # user -> live items (positions) met
    replayed: int = 0  # stored events applied onto the bundle's histories when built
    _query_vectors: np.ndarray | None = None  # the catalogue's text vectors, encoded on the first query

    @classmethod
    def build(cls, bundle: Bundle, events: list[Event] = (), reranker: OnlineReranker | None = None,
              new_items: list[NewItem] = (), two_stage_from: int = TWO_STAGE_FROM) -> ServedModel:
        """The bundle's lookups, with `new_items` placed and `events` (feedback it does not hold)
        replayed onto its histories; recommendations in two stages from `two_stage_from` items
        when the model exposes user vectors."""
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
        lowercase = pd.Series(titles, dtype=str).str.lower()
        retriever = (TwoStageRetriever(bundle.model) if len(ids) >= two_stage_from and supports_two_stage(bundle.model)
                     else None)
        served = cls(bundle, histories, np.asarray(ids, dtype=object), titles, lowercase, index, set(histories),
                     reranker, retriever)
        if new_items:
            served.add_items(list(new_items))
        served.replayed = served.apply(list(events))
        return served

    @property
    def version(self) -> str:
        return self.bundle.version

    @property
    def retrieval(self) -> str:
        """How recommendations are found: "exact" (every item scored) or "two-stage (<index kind>)"."""
        return "exact" if self.retriever is None else f"two-stage ({self.retriever.index.kind})"

    # --- lookups -----------------------------------------------------------------------

    def item_index(self, item_ids: list[str]) -> np.ndarray:
        """Indices of the catalogue's items; UnknownIdError naming every unknown one."""
        items = self.bundle.interactions.items
        unknown = [i for i in item_ids if i not in items]
        if unknown:
            live = [i for i in unknown if self.live is not None and i in self.live.ids]
            raise UnknownIdError(f"Unknown item id(s) {unknown[:10]}: not in the served model's catalogue "
                                 f"of {len(items)} items" + (f" ({live[:10]} were added live and count as liked "
                                                             "or seen, but not as history, until a retrain)"
                                                             if live else "") + ".")
        return items.indices(item_ids)

    def title(self, item_id: str) -> str:
        """The title of a catalogue item or one added live; UnknownIdError for any other id."""
        if self.live is not None and item_id in self.live.ids:
            return str(self.titles[len(self.bundle.interactions.items) + self.live.ids.index(item_id)])
        return str(self.titles[self.item_index([item_id])[0]])

    def liked_index(self, item_ids: list[str]) -> tuple[np.ndarray, set[int]]:
        """(catalogue indices, live positions) of the items a visitor liked."""
        live = [i for i in item_ids if self.live is not None and i in self.live.ids]
        return self.item_index([i for i in item_ids if i not in live]), {self.live.ids.index(i) for i in live}

    def user_history(self, user_id: str) -> np.ndarray:
        """A known user's item indices, oldest first, feedback included."""
        history = self.histories.get(user_id)
        if history is None:
            raise UnknownIdError(f"Unknown user {user_id!r}: no history in the served model or its feedback. "
                                 "Recommend from liked items or a query for new visitors.")
        return np.asarray(history, dtype=np.int64)

    def fitted_user(self, user_id: str) -> np.ndarray | None:
        """[the user's index] while their history is what the model fitted (per-user state
        applies), else None."""
        if user_id not in self.known_users:
            return None
        return np.array([self.bundle.interactions.users.index(user_id)])

    def ranked(self, items: np.ndarray, scores: np.ndarray) -> Ranked:
        keep = np.isfinite(scores) & (items >= 0)
        items, scores = items[keep], scores[keep]
        return Ranked(self.item_ids[items].tolist(), self.titles[items].tolist(),
                      [round(float(s), 6) for s in scores], self.bundle.model.name, self.version)

    # --- reads -------------------------------------------------------------------------

    def recommend_user(self, user_id: str, k: int) -> Ranked:
        """Top k for a known user from their latest history."""
        history, users = self.user_history(user_id), self.fitted_user(user_id)
        return self.ranked(*self.top(history, k, users, self.live_seen.get(user_id, set())))

    def recommend_everyone(self, k: int) -> pd.DataFrame:
        """user_id, rank, item_id, score for every user with a history, each list as
        `recommend_user` (and so GET /recommend) answers it (scores to float32 rounding of a
        batched product), feedback and items added live included, in batches of users: those
        whose history the model fitted (per-user state applies) apart from those whose history
        grew since."""
        everyone = list(self.histories)
        fitted = [u for u in everyone if u in self.known_users]  # as `fitted_user` decides
        changed = [u for u in everyone if u not in self.known_users]
        size = max(1, min(512, SCORE_BUDGET // max(len(self.item_ids), 1)))
        batches = [(group[start : start + size], group is fitted) for group in (fitted, changed)
                   for start in range(0, len(group), size)]
        rows = []
        for user_ids, with_state in track(batches, f"top {k} of every user, live state"):
            users = self.bundle.interactions.users.indices(user_ids) if with_state else None
            items, scores = self.top_many([self.user_history(u) for u in user_ids], k, users,
                                          [self.live_seen.get(u, set()) for u in user_ids])
            for user_id, row_items, row_scores in zip(user_ids, items, scores, strict=True):
                ranked = self.ranked(row_items, row_scores)
                rows += [(user_id, rank, item, score) for rank, (item, score)
                         in enumerate(zip(ranked.item_ids, ranked.scores, strict=True), start=1)]
        return pd.DataFrame(rows, columns=["user_id", "rank", "item_id", "score"])

    def recommend_items(self, item_ids: list[str], k: int) -> Ranked:
        """Top k for a visitor who liked `item_ids` (oldest first)."""
        history, live = self.liked_index(item_ids)
        return self.ranked(*self.top(history, k, None, live))

    def top(self, history: np.ndarray, k: int, users: np.ndarray | None,
            seen_live: set[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """`top_many` for one history."""
        items, scores = self.top_many([history], k, users, None if seen_live is None else [seen_live])
        return items[0], scores[0]

    def top_many(self, histories: list[np.ndarray], k: int, users: np.ndarray | None,
                 seen_live: list[set[int]] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The model's top k (items, scores), one row per history, seen items left out: in two
        stages for a large catalogue, else by scoring every item. Given `seen_live` (per history
        the items added live it has met, left out too) the items added live are merged in,
        placed from the same scores when the model ranks by them (scored once, not twice)."""
        model, rows = self.bundle.model, None
        histories = [np.asarray(h, dtype=np.int64) for h in histories]
        if self.retriever is not None:
            items, scores = self.retriever.recommend(histories, k, users=users)
        elif self.live is not None and seen_live is not None and model.ranks_by_scores:
            rows = model.score(histories, users=users)
            masked = rows.copy()
            masked[history_matrix(histories, masked.shape[1]).nonzero()] = -np.inf
            items, scores = top_k(masked, k)
        else:
            items, scores = model.recommend(histories, k, users=users)
        if self.live is None or seen_live is None:
            return items, scores
        live = self._live_scores(histories, users, rows)
        for row, seen in enumerate(seen_live):
            live[row, list(seen)] = -np.inf
        added = np.broadcast_to(len(self.bundle.interactions.items) + np.arange(live.shape[1]), live.shape)
        candidates, merged = np.concatenate([items, added], axis=1), np.concatenate([scores, live], axis=1)
        order = np.argsort(-merged, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(candidates, order, axis=1), np.take_along_axis(merged, order, axis=1)

    def _live_scores(self, histories: list[np.ndarray], users: np.ndarray | None,
                     model_scores: np.ndarray | None = None) -> np.ndarray:
        """(n histories, n live) scores of the items added live."""
        if model_scores is None and self.retriever is not None:  # score only the neighbours, not the catalogue
            neighbours = np.unique(self.live.placement.neighbours)
            model_scores = np.zeros((len(histories), len(self.bundle.interactions.items)), dtype=np.float32)
            model_scores[:, neighbours] = self.bundle.model.user_vectors(histories, users) @ self.retriever.items[
                neighbours].T
        elif model_scores is None:
            model_scores = self.bundle.model.score(histories, users=users)
        return self.live.placement.scores(model_scores)

    def recommend_query(self, query: str, k: int, history: np.ndarray | None = None,
                        users: np.ndarray | None = None, query_weight: float = DEFAULT_QUERY_WEIGHT,
                        constraints: QueryConstraints | None = None, seen_live: set[int] = frozenset()) -> Ranked:
        """Top k for a text query, blended with the model's scores and the text profile of
        `history` when there is one (a known user's or a visitor's liked items), under the
        query's constraints (parsed here unless given, as a conversation carries them);
        `seen_live`: items added live (positions) to leave out, as `history` is."""
        from llm4rec.models.hybrid import row_zscore
        from llm4rec.profiles.vectors import profile_vectors
        from llm4rec.ranking.query import query_scores
        from llm4rec.ranking.query_parser import allowed, parse_query, preferred

        items = self.bundle.interactions.items
        constraints = constraints or parse_query(query, self.bundle.catalog, items)
        seen = np.zeros(0, np.int64) if history is None else np.asarray(history, np.int64)
        history = np.concatenate([seen, items.indices(constraints.similar_to)]).astype(np.int64)  # "like X"
        item_vectors = self.query_vectors()
        model_scores = self.bundle.model.score([history], users=users)[0] if len(history) else None
        profile = profile_vectors([history], item_vectors)[0] if len(history) else None
        catalogs = [(self.bundle.catalog, items)]
        if self.live is not None:  # the items added live, after the catalogue's
            item_vectors = np.concatenate([item_vectors, self.live.text_vectors])
            if model_scores is not None:
                live_scores = self._live_scores([history], users, model_scores[None, :])[0]
                model_scores = np.concatenate([model_scores, live_scores])
            catalogs.append((self.live.catalog, self.live.ids))
        query_vector = query_encoder(self.bundle.text_encoder()).encode([constraints.text])[0]
        scores = row_zscore(query_scores(query_vector, item_vectors, model_scores, profile, query_weight)[None, :])[0]
        scores += PREFERENCE_WEIGHT * np.concatenate([preferred(constraints, *c) for c in catalogs])
        scores[~np.concatenate([allowed(constraints, *c) for c in catalogs])] = -np.inf
        scores[history] = -np.inf
        scores[len(items) + np.fromiter(seen_live, np.int64, len(seen_live))] = -np.inf
        top_items, top = top_k(scores[None, :], k)
        return replace(self.ranked(top_items[0], top[0]), notes=self.query_notes(query),
                       constraints=constraints.as_json())

    def query_notes(self, query: str) -> tuple[str, ...]:
        """A note when the query's language is one the encoder does not cover."""
        from llm4rec.text.encoder import encoder_name
        from llm4rec.text.languages import covers, detect, suitable_encoder

        language, encoder = detect([query]).language, encoder_name(self.bundle.text_encoder())
        if covers(encoder, language) is not False:
            return ()
        better = suitable_encoder(language)
        return (f"The query is in {language!r}, which the {encoder} encoder of this bundle does not cover, so the "
                "list may not match it" + (f"; train with --encoder {better} for such queries" if better else ""),)

    def similar(self, item_id: str, k: int) -> Ranked:
        """Items most similar to one item: ANN/exact over the model's item vectors, or the
        model's own item-item similarities. An item added live is its placement's mix of its
        neighbours' vectors (or, without vectors, its nearest neighbour); with vectors, the items
        added live are searched beside the catalogue."""
        n_items, live = len(self.bundle.interactions.items), self.live
        position = live.ids.index(item_id) if live is not None and item_id in live.ids else None
        if self.similar_index is None:
            if position is None:
                items, scores = self.bundle.model.similar_items(self.item_index([item_id]), k)
                return self.ranked(items[0], scores[0])
            # To the model an item added live is its nearest neighbour: that item first (its
            # score tied with the next, the model having no similarity of an item to itself),
            # then the neighbour's own similar items.
            neighbour = live.placement.neighbours[position, :1]
            items, scores = self.bundle.model.similar_items(neighbour, k - 1) if k > 1 else (
                np.zeros((1, 0), np.int64), np.zeros((1, 0), np.float32))
            top = scores[0][:1] if scores.shape[1] else np.ones(1, np.float32)
            return self.ranked(np.concatenate([neighbour, items[0]]), np.concatenate([top, scores[0]]))
        live_vectors = self._live_unit_vectors()
        query = (self.similar_index.vectors[self.item_index([item_id])] if position is None
                 else live_vectors[[position]])
        exclude = [self.item_index([item_id])] if position is None else None
        items, scores = self.similar_index.search(query, k, exclude=exclude)
        if live is None:
            return self.ranked(items[0], scores[0])
        live_scores = live_vectors @ query[0]
        if position is not None:
            live_scores[position] = -np.inf
        candidates = np.concatenate([items[0], n_items + np.arange(len(live))])
        merged = np.concatenate([scores[0], live_scores])
        order = np.argsort(-merged, kind="stable")[:k]
        return self.ranked(candidates[order], merged[order])

    def _live_unit_vectors(self) -> np.ndarray:
        """The items added live in the model's item-vector space, unit rows."""
        vectors = self.live.placement.vectors(self.similar_index.vectors) if self.live is not None else np.zeros((0, 1))
        return vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12)

    def search_titles(self, query: str, limit: int) -> list[dict[str, Any]]:
        """Items whose title contains `query` (case-insensitive), in catalogue order."""
        hits = np.flatnonzero(self.lowercase_titles.str.contains(query.lower(), regex=False).to_numpy())[:limit]
        return [{"item_id": self.item_ids[i], "title": self.titles[i], "score": 0.0} for i in hits]

    def explain(self, user_id: str, history: np.ndarray, item_ids: list[str], language: str = "en",
                wording: Callable | None = None) -> dict[str, Any]:
        """Why each item follows `history`: evidence and a sentence per item (see
        llm4rec.explain); `wording` may reword each checked sentence."""
        from llm4rec.explain.sentences import explain_recommendations, new_item_entry

        bundle, live = self.bundle, self.live
        added = [] if live is None else [i for i in item_ids if i in live.ids]
        explained = explain_recommendations(bundle.model, bundle.interactions, bundle.catalog, user_id, history,
                                            self.item_index([i for i in item_ids if i not in added]), language,
                                            wording)
        if not added:
            return explained
        entries = {entry["item_id"]: entry for entry in explained["recommendations"]}
        scores = self._live_scores([history], None)[0]
        for item_id in added:
            position = live.ids.index(item_id)
            neighbour = bundle.interactions.items.ids[live.placement.neighbours[position, 0]]
            entries[item_id] = new_item_entry(item_id, live.titles[position], float(scores[position]),
                                              str(neighbour), bundle.catalog, language)
        return explained | {"recommendations": [entries[i] for i in item_ids]}

    @cached_property
    def title_check(self) -> TitleCheck:
        """What a written text may name in this version's catalogue (built once: it reads every
        title and category)."""
        from llm4rec.explain.wording import TitleCheck

        return TitleCheck.for_catalog(self.bundle.catalog, self.bundle.interactions.items)

    def profile(self, user_id: str, language: str = "en", wording: Callable | None = None,
                asked_written: bool = False) -> dict[str, Any]:
        """The readable profile of a user's current history, with its plain-language summary
        (`wording`, a profiles.wording.CheckedProfile, may rewrite it; "written_by" says who did,
        and "note" why not when a written one was asked for)."""
        from llm4rec.profiles.ratings import history_ratings, liked_mask, rating_scale_top
        from llm4rec.profiles.summary import describe, readable_profile

        history, interactions = self.user_history(user_id), self.bundle.interactions
        liked = liked_mask(history_ratings(interactions, user_id, history), rating_scale_top(interactions))
        profile = readable_profile(history, interactions.items, self.bundle.catalog, liked=liked)
        summary, written = describe(profile, language), False
        if wording is not None:
            summary, written = wording(profile, summary)
        note = why_not_written(wording is not None, language) if asked_written and not written else None
        return {"user_id": user_id, "summary": summary, "written_by": "language model" if written else "template",
                "note": note, "profile": profile}

    def unknown_event_types(self, events: list[Event]) -> list[str]:
        """Event types the bundle's feedback weights do not list (the defaults when it was not mined)."""
        from llm4rec.feedback.weights import FeedbackConfig

        recorded = (self.bundle.manifest.get("feedback") or {}).get("config")
        known = FeedbackConfig(**recorded) if recorded else FeedbackConfig()
        return sorted({e.event_type for e in events} - set(known.event_weights))

    def query_vectors(self) -> np.ndarray:
        """The catalogue's text embeddings for queries (encoded once per version, disk-cached)."""
        if self._query_vectors is None:
            self._query_vectors = self.bundle.catalogue_vectors()
        return self._query_vectors

    # --- feedback ----------------------------------------------------------------------

    def reset_history(self, user_id: str) -> None:
        """The user's history back to what the bundle holds (the feedback applied since dropped)."""
        self.live_seen.pop(user_id, None)
        interactions = self.bundle.interactions
        if user_id in interactions.users and len(bundle_history := interactions.histories()[
                interactions.users.index(user_id)]):
            self.histories[user_id] = bundle_history.tolist()
            self.known_users.add(user_id)
        else:
            self.histories.pop(user_id, None)

    def add_items(self, items: list[NewItem]) -> None:
        """Place items added live (see serving.live_items); an id added before gets the new fields."""
        self.new_items = list({item.item_id: item for item in [*self.new_items, *items]}.values())
        self.live = LiveItems.build(self.bundle, self.new_items, self.query_vectors())
        n_items = len(self.bundle.interactions.items)
        if self.live is not None:
            self.item_ids = np.concatenate([self.item_ids[:n_items], np.asarray(self.live.ids.ids, dtype=object)])
            self.titles = np.concatenate([self.titles[:n_items], self.live.titles])
            self.lowercase_titles = pd.Series(self.titles, dtype=str).str.lower()

    def apply(self, events: list[Event]) -> int:
        """Append events on known items to their users' histories (and tell the online policy
        about feedback on its open slates); events on items added live mark them seen; the
        count applied."""
        items, users = self.bundle.interactions.items, self.bundle.interactions.users
        applied = 0
        for event in events:
            if self.live is not None and event.item_id in self.live.ids:
                self.live_seen.setdefault(event.user_id, set()).add(self.live.ids.index(event.item_id))
                applied += 1
            elif event.item_id in items:
                item = items.index(event.item_id)
                self.histories.setdefault(event.user_id, []).append(item)
                self.known_users.discard(event.user_id)
                if self.reranker is not None and event.user_id in users:
                    self.reranker.record_click(users.index(event.user_id), item)
                applied += 1
        return applied


NO_WRITER = ("no language model writes profiles here: start the service with `llm4rec serve --llm default` (or a "
             "model folder, a .gguf file or an endpoint URL); this is the template")


def why_not_written(had_writer: bool, language: str) -> str:
    """Why a profile asked to be written keeps the template."""
    if language != "en":
        return "written profiles are English only; this is the template"
    if not had_writer:
        return NO_WRITER
    return "the written summary did not pass the claim check, or the model failed; this is the template"
