"""Wording explanations with a language model: share kept by the claim check, unsupported claims
an independent checker finds in what was kept (and in what was rejected), latency.

EASE fitted on ml-100k-loo's train part explains the top 3 of a seeded sample of users; each
template sentence is reworded by the model (default: SmolLM2-135M-Instruct Q4_1 through
transformers, torch on 2 threads; guided as `llm4rec explain --llm` guides it, opening on the
recommended title and decoding only the record's tokens, unless --unguided) and kept only if
the claim check (`explain.wording`) finds nothing outside the evidence. The independent checker
works another way: it extracts what a sentence names (capitalised names and titles, numbers and
years, catalogue categories) and asks that each occur in the evidence record; it never reads the check's word list.

    python benchmarks/explain_wording.py --out benchmarks/results/explain_wording.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import torch

from llm4rec.data.split_dir import read_split_dir
from llm4rec.explain.evidence import explain
from llm4rec.explain.wording import SYSTEMS, TitleCheck, language_model, opening, prompt
from llm4rec.models.ease import EASE

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
NAMED = re.compile(r"(?<![.!?\"] )(?<!^)\b[A-Z][\w'-]*(?:\s+(?:of|the|and|[A-Z][\w'-]*))*|\b\d+\b")


def unsupported_claims(text: str, record: str, categories: set[str]) -> list[str]:
    """The independent checker: named things (capitalised spans after the first word, numbers,
    catalogue categories) that the record does not contain, whole or, for a span joined by
    "and", part by part."""
    record_lower = record.lower()
    named = [m.group(0).strip() for m in NAMED.finditer(text.split(" ", 1)[1] if " " in text else "")]
    named += [c for c in categories if re.search(rf"(?<!\w){re.escape(c)}(?!\w)", text.lower())]
    # "Action and Adventure" may be one name or two: supported when whole or when each part is
    return [n for n in named if n and n.lower() not in record_lower
            and not all(part in record_lower for part in n.lower().split(" and "))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--llm", default=None, help="model folder, .gguf file or OpenAI-compatible URL")
    parser.add_argument("--unguided", action="store_true",
                        help="no opening and no constrained decoding (how the model writes unaided)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/explain_wording.json"))
    args = parser.parse_args()
    torch.set_num_threads(2)
    split, _ = read_split_dir(SHARED / "ml-100k-loo")
    train, catalog = split.train, split.catalog
    model = EASE(l2=150.0).fit(train)
    started = time.perf_counter()
    language = language_model(args.llm)
    load_seconds = time.perf_counter() - started
    check = TitleCheck.for_catalog(catalog, train.items)
    histories = train.histories()
    kept, rejected, seconds = [], [], []
    for user in np.random.default_rng(0).choice(train.n_users, size=args.users, replace=False):
        items = model.recommend([histories[user]], 3)[0][0]
        for evidence in explain(model, histories[user], items, train, catalog):
            message, allowed = prompt(evidence, train.items, catalog)
            started = time.perf_counter()
            text = (language.complete(SYSTEMS["en"], message) if args.unguided
                    else language.complete(SYSTEMS["en"], message, opening(allowed), vocabulary=message))
            problems = check.problems(text, allowed, evidence.attributes, record=message) if text else ["empty"]
            seconds.append(time.perf_counter() - started)
            row = {"reply": text, "record": message, "problems": problems,
                   "independent_unsupported": unsupported_claims(text, message, check.categories)}
            (rejected if problems else kept).append(row)
    generated = len(kept) + len(rejected)
    reasons = Counter(p.split(":")[0] for row in rejected for p in row["problems"])
    result = {"command": "python " + " ".join(sys.argv), "model": args.llm or "SmolLM2-135M-Instruct.Q4_1.gguf",
              "guided": not args.unguided,
              "load_seconds": round(load_seconds, 1), "generated": generated, "passed": len(kept),
              "pass_share": round(len(kept) / generated, 4),
              "kept_with_unsupported_claims_independent": sum(bool(r["independent_unsupported"]) for r in kept),
              "rejected_with_unsupported_claims_independent": sum(bool(r["independent_unsupported"])
                                                                  for r in rejected),
              "rejection_reasons": dict(reasons.most_common()),
              "seconds_per_explanation": round(float(np.mean(seconds)), 3),
              "passed_examples": [r["reply"] for r in kept[:8]],
              "rejected_examples": [{"reply": r["reply"], "problems": r["problems"][:4]} for r in rejected[:8]]}
    print(json.dumps(result, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
