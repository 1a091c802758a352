"""Choose the bandits' and MMR's settings on a validation world (ml-latest-small), so the
ml-100k simulation that reports the policies is never used to tune them.

    .venv/bin/python benchmarks/tune_policies.py   # writes benchmarks/results/tune_policies.json
"""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

from llm4rec.data.load import load_split
from llm4rec.simulation.runner import simulate
from llm4rec.simulation.world import WorldConfig, build_world

VALIDATION = Path(__file__).resolve().parents[2] / "shared/data/ml-latest-small-loo"
OUT = Path(__file__).parent / "results/tune_policies.json"
ROUNDS, SEEDS = 200, 2
BANDIT_GRID = [{"exploration": e, "prior_precision": p} for e, p in itertools.product((0.03, 0.1, 0.3), (10.0, 100.0))]
GRID = {
    "linucb": BANDIT_GRID,
    "thompson": BANDIT_GRID,
    "mmr": [{"trade_off": t} for t in (0.5, 0.7, 0.9)],
    "epsilon": [{"epsilon": e} for e in (0.05, 0.1, 0.2)],
}


def main() -> None:
    split, _ = load_split(VALIDATION)
    started = time.perf_counter()
    world = build_world(split.train_valid().concat(split.test), split.catalog, WorldConfig())
    rows, chosen = [], {}
    for policy, grid in GRID.items():
        best = None
        for settings in grid:
            result = simulate(world, [policy], ROUNDS, SEEDS, settings={policy: settings})[policy]
            clicks = result["cumulative_clicks"][-1]
            rows.append({"policy": policy, "settings": settings, "cumulative_clicks": clicks,
                         "retention": result["retention"][-1]})
            print(policy, settings, f"clicks/user {clicks:.2f}")
            if best is None or clicks > best[0]:
                best = (clicks, settings)
        chosen[policy] = best[1]
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps({"data": str(VALIDATION.name), "rounds": ROUNDS, "seeds": SEEDS,
                               "criterion": "cumulative clicks per user after the last round",
                               "chosen": chosen, "grid": rows,
                               "seconds": round(time.perf_counter() - started, 1)}, indent=2) + "\n")
    print(json.dumps(chosen))


if __name__ == "__main__":
    main()
