"""Wording explanations with a language model: share that passed the evidence check, latency.

EASE fitted on ml-100k-loo's train part explains the top 3 of a seeded sample of users; each
template sentence is reworded by the model (default: SmolLM2-135M-Instruct Q4_1 through
transformers, torch on 2 threads) and kept only if it names nothing outside the evidence.

    python benchmarks/explain_wording.py --out benchmarks/results/explain_wording.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from llm4rec.data.split_dir import read_split_dir
from llm4rec.explain.evidence import explain
from llm4rec.explain.sentences import sentence
from llm4rec.explain.wording import CheckedWording, language_model
from llm4rec.models.ease import EASE

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--llm", default=None, help="model folder, .gguf file or OpenAI-compatible URL")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/explain_wording.json"))
    args = parser.parse_args()
    torch.set_num_threads(2)
    split, _ = read_split_dir(SHARED / "ml-100k-loo")
    train, catalog = split.train, split.catalog
    model = EASE(l2=150.0).fit(train)
    started = time.perf_counter()
    wording = CheckedWording(language_model(args.llm), train.items, catalog)
    load_seconds = time.perf_counter() - started
    histories = train.histories()
    examples = []
    for user in np.random.default_rng(0).choice(train.n_users, size=args.users, replace=False):
        items = model.recommend([histories[user]], 3)[0][0]
        for evidence in explain(model, histories[user], items, train, catalog):
            template = sentence(evidence, train.items, catalog)
            text = wording(evidence, template)
            if text != template and len(examples) < 5:
                examples.append(text)
    result = {"command": "python " + " ".join(sys.argv), "model": args.llm or "SmolLM2-135M-Instruct.Q4_1.gguf",
              "load_seconds": round(load_seconds, 1), "generated": wording.generated, "passed": wording.passed,
              "pass_share": round(wording.passed / wording.generated, 4),
              "seconds_per_explanation": round(wording.seconds / wording.generated, 3), "passed_examples": examples}
    print(json.dumps(result, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
