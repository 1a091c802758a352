"""Ray for work that outgrows one machine: the same batch functions the single-process path
calls, run as Ray tasks, results returned in batch order.

`address` is "auto" (a running cluster, or a local one started here) or a cluster address
such as "ray://head:10001". Large shared inputs (the model, the evaluation cases) go into
Ray's object store once and every task reads them from there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from llm4rec.extras import require


def batch_bounds(n: int, size: int) -> list[tuple[int, int]]:
    """(start, stop) of consecutive batches of at most `size` over n rows: the units of
    batch work, whether they run here or as Ray tasks."""
    return [(start, min(start + size, n)) for start in range(0, n, size)]


def connect(address: str) -> None:
    """Connect to the cluster at `address` once per process ("auto": an existing cluster if
    one is running, else a local one)."""
    require("ray", "--ray")
    import ray

    if ray.is_initialized():
        return
    if address == "auto":
        try:
            ray.init(address="auto", log_to_driver=False)
        except ConnectionError:
            ray.init(log_to_driver=False)
    else:
        ray.init(address=address, log_to_driver=False)


def map_batches(function: Callable[..., Any], model: Any, data: Any, bounds: Sequence[tuple[int, int]],
                *extra: Any, address: str = "auto") -> list[Any]:
    """[function(model, data, start, stop, *extra) for each (start, stop)], run on Ray."""
    import ray

    connect(address)
    task = ray.remote(function)
    model_ref, data_ref = ray.put(model), ray.put(data)
    return ray.get([task.remote(model_ref, data_ref, start, stop, *extra) for start, stop in bounds])
