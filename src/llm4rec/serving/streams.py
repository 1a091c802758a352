"""Which stored feedback a bundle lacks, with streams held for review left out.

A stream faster than the bundle's bot rate (`feedback.weights.inhuman_rate`, the rule mining
flags users by) is held: its events stay in the store but enter neither histories nor
retraining. A bundle records the store sequence it was built through (`STORE_SEQ`); a stream
held then and released later has earlier events the bundle does not hold, found by comparing
(item, second) with the bundle's rows for that user.
"""

from __future__ import annotations

from llm4rec.ranking.online import OnlineReranker
from llm4rec.retrieval.two_stage import TWO_STAGE_FROM
from llm4rec.serving.bundle import STORE_SEQ, Bundle
from llm4rec.serving.feedback_store import Event, FeedbackStore, NewItem
from llm4rec.serving.reads import ServedModel


def held_streams(store: FeedbackStore) -> dict[str, str]:
    """user -> why their stream is held."""
    return {user: reason for user, (status, reason) in store.reviews().items() if status == "held"}


def missing_events(bundle: Bundle, store: FeedbackStore, user_id: str | None = None) -> list[Event]:
    """The stored events (of every user, or of `user_id`) the bundle does not hold, in arrival
    order, held streams left out."""
    seq = int(bundle.manifest.get(STORE_SEQ, 0))
    reviews = store.reviews()
    if user_id is not None and reviews.get(user_id, ("",))[0] == "held":
        return []
    released = [u for u, (status, _) in reviews.items() if status == "released" and user_id in (None, u)]
    earlier = [e for user in released for e in store.events(user, through=seq)]
    if earlier:
        rows = bundle.interactions.to_frame()
        rows = rows[rows["user_id"].isin(released)]
        held_in_bundle = set(zip(rows["user_id"], rows["item_id"], rows["timestamp"].astype(int), strict=True))
        earlier = [e for e in earlier if (e.user_id, e.item_id, int(e.timestamp)) not in held_in_bundle]
    later = [e for e in store.events(user_id, after=seq) if reviews.get(e.user_id, ("",))[0] != "held"]
    return earlier + later


def received_since(bundle: Bundle, store: FeedbackStore) -> tuple[list[Event], list[NewItem]]:
    """What the store holds that the bundle lacks: the feedback (held streams left out) and the
    items added live."""
    return missing_events(bundle, store), store.new_items()


def live_model(bundle: Bundle, store: FeedbackStore, reranker: OnlineReranker | None = None,
               two_stage_from: int = TWO_STAGE_FROM,
               received: tuple[list[Event], list[NewItem]] | None = None) -> ServedModel:
    """The bundle as the service answers from it: the items added live placed and the stored
    feedback it lacks replayed (held streams left out). The service and the read commands both
    build it here, so they give the same answers. `received`: what `received_since` has already
    read from the store, so it is not read twice."""
    events, items = received if received is not None else received_since(bundle, store)
    return ServedModel.build(bundle, events, reranker, items, two_stage_from)
