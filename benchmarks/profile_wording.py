"""Profiles written by a language model: share kept by the check (`profiles.wording`), unsupported
claims an independent checker finds in what was kept, themes put on the wrong side, latency.

For a seeded sample of ml-100k-loo users (training part, ratings for liked and disliked), the
readable profile's template summary is rewritten by the model (default SmolLM2-135M-Instruct,
guided as `llm4rec profile --llm` guides it) and kept only if the check passes. The independent
checker is the one of `explain_wording.py` (named things and numbers must occur in the facts);
a second, independent of the check's clause rule, flags a kept text that names a disliked theme
right after a liking verb ("enjoys Horror").

    python benchmarks/profile_wording.py --users 30 --out benchmarks/results/profile_wording.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np
import torch
from explain_wording import unsupported_claims  # the same independent checker (benchmarks/ is on the path)

from llm4rec.data.split_dir import read_split_dir
from llm4rec.explain.wording import TitleCheck, language_model
from llm4rec.profiles.ratings import history_ratings, liked_mask, rating_scale_top
from llm4rec.profiles.summary import describe, readable_profile
from llm4rec.profiles.wording import CheckedProfile, facts, themes

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
LIKING = re.compile(r"\b(?:enjoys|likes|prefers|loves|mostly|favourites?)\s+(?:\w+\s+){0,3}?")


def liked_disliked(text: str, disliked: set[str]) -> list[str]:
    """Disliked themes named within four words after a liking verb."""
    lowered = text.lower()
    return [d for d in disliked for m in LIKING.finditer(lowered) if lowered[m.end():].startswith(d)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--llm", default=None, help="model folder, .gguf file or OpenAI-compatible URL")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/profile_wording.json"))
    args = parser.parse_args()
    torch.set_num_threads(2)
    split, _ = read_split_dir(SHARED / "ml-100k-loo")
    train, catalog = split.train, split.catalog
    started = time.perf_counter()
    wording = CheckedProfile(language_model(args.llm), TitleCheck.for_catalog(catalog, train.items))
    load_seconds = time.perf_counter() - started
    histories, top = train.histories(), rating_scale_top(train)
    kept, rejected = [], []
    for user in np.random.default_rng(0).choice(train.n_users, size=args.users, replace=False):
        user_id = train.users.ids[user]
        liked = liked_mask(history_ratings(train, user_id, histories[user]), top)
        profile = readable_profile(histories[user], train.items, catalog, liked=liked)
        summary = describe(profile)
        text, passed = wording(profile, summary)
        reply = text if passed else "(rejected)"
        row = {"template": summary, "reply": reply,
               "independent_unsupported": unsupported_claims(text, facts(summary), wording.check.categories)
               if passed else [],
               "disliked_called_liked": liked_disliked(text, themes(profile, "disliked_") - themes(profile, "top_"))
               if passed else []}
        (kept if passed else rejected).append(row)
    result = {"command": "python " + " ".join(sys.argv), "model": args.llm or "SmolLM2-135M-Instruct.Q4_1.gguf",
              "load_seconds": round(load_seconds, 1), "generated": wording.generated, "passed": wording.passed,
              "pass_share": round(wording.passed / max(wording.generated, 1), 4),
              "kept_with_unsupported_claims_independent": sum(bool(r["independent_unsupported"]) for r in kept),
              "kept_calling_a_disliked_theme_liked": sum(bool(r["disliked_called_liked"]) for r in kept),
              "rejection_reasons": dict(wording.reasons.most_common()),
              "seconds_per_profile": round(wording.seconds / max(wording.generated, 1), 3),
              "kept_examples": [{"template": r["template"], "written": r["reply"],
                                "independent_unsupported": r["independent_unsupported"]} for r in kept[:10]],
              "rejected_examples": wording.rejected[:8]}
    print(json.dumps(result, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
