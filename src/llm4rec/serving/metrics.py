"""Prometheus metrics of one service instance (its own registry, so apps do not collide)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, generate_latest

# Request latencies are mostly sub-millisecond to tens of milliseconds.
LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class ServiceMetrics:
    """Request counts and latencies per route, served model and index size, feedback events."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("llm4rec_requests", "HTTP requests", ["method", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram("llm4rec_request_seconds", "Request latency in seconds", ["route"],
                                 buckets=LATENCY_BUCKETS, registry=self.registry)
        self.cache_hits = Counter("llm4rec_cache_hits", "Recommendations served from the per-user cache",
                                  registry=self.registry)
        self.feedback = Counter("llm4rec_feedback_events", "Feedback events stored", registry=self.registry)
        self.unknown_event_types = Counter(  # no label per type: clients choose the names, labels would not be bounded
            "llm4rec_feedback_unknown_type_events", "Stored events whose type the bundle's feedback weights do not "
            "know (they weigh unknown_event_weight in retraining)", registry=self.registry)
        self.held_events = Counter("llm4rec_feedback_held_events", "Stored events of streams held for review "
                                   "(kept out of histories and retraining)", registry=self.registry)
        self.held_streams = Gauge("llm4rec_feedback_held_streams", "Feedback streams held for review",
                                  registry=self.registry)
        self.model = Info("llm4rec_model", "The served model bundle", registry=self.registry)
        self.index_items = Gauge("llm4rec_index_items", "Items in the served model's catalogue/index",
                                 registry=self.registry)

    def set_model(self, name: str, version: str, n_items: int, index_kind: str) -> None:
        self.model.info({"model": name, "version": version, "index": index_kind})
        self.index_items.set(n_items)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
