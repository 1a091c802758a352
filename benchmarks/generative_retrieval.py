"""Benchmark: generative retrieval (semantic IDs + constrained decoding) measured honestly.

Three parts, each writing benchmarks/results/generative_<part>.{json,md}:
- compare: on each split, the generative model beside SASRec, the sequential hybrid, the hybrid
  blend and EASE from the same run (tuned on valid, tested once; 95 % bootstrap intervals, paired
  differences against SASRec), beam search against exact scoring on the test cases (top-10
  overlap, HR@10/NDCG@10 of the beam's lists), fit time, the process's peak memory after the
  generative fit, and the latency of one recommendation request.
- cold: the item cold-start protocol (llm4rec.evaluation.cold_start): new items reached by
  generation (their codes come from codebooks learned without them) against the text-only model.
- ablation (valid only; each variant paired with the default on the same cases): semantic IDs
  from the frozen, the fine-tuned and the multilingual encoder; number of levels; codebook size.
Run with `make bench-generative` (hours on 2 cores) or pick parts and datasets.
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from llm4rec.data.split_dir import read_split_dir
from llm4rec.data.splits import Split
from llm4rec.evaluation.cold_start import among_cold_items, item_cold_start
from llm4rec.evaluation.intervals import bootstrap_ci, paired_difference_ci
from llm4rec.evaluation.protocol import tune_and_test
from llm4rec.evaluation.ranking import EvalCases, evaluate
from llm4rec.models.generative import GenerativeRecommender
from llm4rec.models.registry import create_model
from llm4rec.text.languages import detect, suitable_encoder
from llm4rec.text.templates import ItemTextTemplate

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
COMPARED = ("generative", "sasrec", "seqhybrid", "hybrid", "ease")
METRICS = ("HR@10", "NDCG@10")


def text_encoder(split: Split) -> str | None:
    """The encoder `llm4rec evaluate` picks for this catalogue's language (None: MiniLM)."""
    return suitable_encoder(detect(ItemTextTemplate().render(split.catalog, split.train.items)).language)


def with_encoder(name: str, encoder: str | None) -> list[dict] | None:
    if encoder is None or name not in ("generative", "seqhybrid", "hybrid"):
        return None
    return [params | {"text_model": encoder} for params in create_model(name).search_space()]


def beam_against_exact(model: GenerativeRecommender, evaluation) -> dict:
    """Top-10 overlap of beam search with the exact ranking, and the beam lists' own HR/NDCG@10."""
    cases = evaluation.cases
    beam, _ = model.recommend(cases.histories, k=10)
    exact = evaluation.top_items[:, :10]
    overlap = np.mean([len(set(b) & set(e)) / 10 for b, e in zip(beam, exact, strict=True)])
    hits = np.array([[item in set(target) for item in row] for row, target in zip(beam, cases.targets, strict=True)])
    gains = (hits / np.log2(np.arange(2, 12))).max(axis=1)
    return {"top10_overlap": round(float(overlap), 4),
            "same_first_item": round(float(np.mean(beam[:, 0] == exact[:, 0])), 4),
            "beam_HR@10": round(float(hits.any(axis=1).mean()), 4), "beam_NDCG@10": round(float(gains.mean()), 4),
            "beam_width": model.config.beam}


def request_latency(model, histories: list[np.ndarray], requests: int = 200) -> dict:
    """p50 / p99 milliseconds of one single-user top-10 request (what the service asks)."""
    timings = []
    for history in histories[:requests]:
        started = time.perf_counter()
        model.recommend([history], k=10)
        timings.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(float(np.percentile(timings, 50)), 2),
            "p99_ms": round(float(np.percentile(timings, 99)), 2)}


def compare(dataset: str, models: tuple[str, ...] = COMPARED) -> dict:
    split, _ = read_split_dir(SHARED / dataset)
    encoder = text_encoder(split)
    rows, per_case = {}, {}
    for name in models:
        started = time.perf_counter()
        result = tune_and_test(name, split, grid=with_encoder(name, encoder), progress=True)
        evaluation = result.test_evaluation
        per_case[name] = evaluation.per_case["NDCG@10"]
        row = {"params": result.params, "fit_seconds": round(result.fit_seconds, 1),
               "seconds_with_tuning": round(time.perf_counter() - started, 1),
               "valid": {m: result.valid.get(m) for m in METRICS}, "test": {m: result.test[m] for m in METRICS},
               "ci95": {m: bootstrap_ci(evaluation.per_case[m]) for m in METRICS},
               "request_latency_exact": request_latency(_exact(result.model), evaluation.cases.histories)}
        if name == "generative":
            row["peak_rss_mb_after_fit"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
            row["beam_vs_exact"] = beam_against_exact(result.model, evaluation)
            row["request_latency_beam"] = request_latency(result.model, evaluation.cases.histories)
            row["semantic_ids"] = result.model.fit_log_["semantic_ids"]
            row["epochs"] = result.model.fit_log_["epochs"]
        rows[name] = row
        print(f"{dataset} {name}: test NDCG@10 {result.test['NDCG@10']:.4f} HR@10 {result.test['HR@10']:.4f} "
              f"fit {result.fit_seconds:.0f} s", flush=True)
    for name in rows:
        rows[name]["NDCG@10_vs_sasrec"] = paired_difference_ci(per_case[name], per_case["sasrec"])
    return {"encoder": encoder or "all-MiniLM-L6-v2", "test_cases": len(per_case["sasrec"]), "models": rows}


def _exact(model):
    """The same fitted model answering by exact scoring (a generative model's beam switched off)."""
    if isinstance(model, GenerativeRecommender):
        exact = GenerativeRecommender.load(model.save(tempfile.mkdtemp()))
        exact.config = exact.config.model_copy(update={"decoding": "exact"})
        return exact
    return model


def cold(dataset: str) -> dict:
    split, _ = read_split_dir(SHARED / dataset)
    encoder = text_encoder(split)
    reduced, cases, cold_items = item_cold_start(split)
    rankings = {"every item": cases, "cold items": among_cold_items(cases, cold_items)}
    rows = {}
    for name in ("generative", "text"):
        model = create_model(name, text_model=encoder).fit(reduced.train_valid(), reduced.catalog)
        rows[name] = {ranking: {m: evaluate(model, c).summary[m] for m in METRICS} for ranking, c in rankings.items()}
        if name == "generative":
            beam, _ = model.recommend(cases.histories, k=10)
            rows[name]["cold items in beam top-10 (share of lists with one)"] = round(
                float(np.isin(beam, cold_items).any(axis=1).mean()), 4)
        print(f"{dataset} cold start {name}: {rows[name]}", flush=True)
    return {"cold_items": len(cold_items), "test_cases": len(cases), "models": rows}


def ablation(dataset: str, save=lambda rows: None) -> dict:
    from llm4rec.finetuning import FinetuneConfig, finetune
    from llm4rec.text import multilingual

    split, _ = read_split_dir(SHARED / dataset)
    valid_cases = EvalCases.build(split.train, split.valid)
    tuned_encoder = Path(tempfile.mkdtemp()) / "encoder"
    finetune(split.train, split.valid, split.catalog, tuned_encoder, FinetuneConfig(method="head"))
    variants = {"frozen MiniLM, 3 x 64 (default)": {},
                "fine-tuned MiniLM (head)": {"text_model": str(tuned_encoder)},
                "multilingual USE": {"text_model": multilingual.NAME},
                "2 levels": {"levels": 2}, "codebook 256": {"codebook_size": 256}}
    rows, default_per_case = {}, None
    for label, params in variants.items():
        started = time.perf_counter()
        model = GenerativeRecommender(**params).fit(split.train, split.catalog)
        evaluation = evaluate(model, valid_cases)
        stats = model.fit_log_["semantic_ids"]
        rows[label] = {"params": params, "valid": {m: evaluation.summary[m] for m in METRICS},
                       "items_sharing_codes": stats["items_sharing_codes"],
                       "relative_error": stats["levels"][-1]["relative_error"],
                       "fit_seconds": round(time.perf_counter() - started, 1), "epochs": model.fit_log_["epochs"]}
        if default_per_case is None:  # the first variant is the default: the others are paired with it
            default_per_case = evaluation.per_case["NDCG@10"]
        else:
            rows[label]["NDCG@10_vs_default"] = paired_difference_ci(evaluation.per_case["NDCG@10"],
                                                                     default_per_case)
        print(f"{dataset} ablation {label}: {rows[label]}", flush=True)
        save(rows)  # after each variant: a long run keeps what it measured
    return rows


def markdown(part: str, report: dict) -> str:
    lines = [f"# Generative retrieval: {part}", ""]
    for dataset, body in report.items():
        ran = list(body.get("models", {}))
        models = f" --models {','.join(ran)}" if part == "compare" and set(ran) != set(COMPARED) else ""
        lines += [f"## {dataset}", "", f"Command: `python benchmarks/generative_retrieval.py --parts {part} "
                  f"--{'ablation-' if part == 'ablation' else ''}datasets {dataset}{models}`", ""]
        if part == "compare":
            lines += [f"Text encoder: {body['encoder']}; {body['test_cases']} test cases.", "",
                      "| model | NDCG@10 [95 % CI] | HR@10 [95 % CI] | vs SASRec (NDCG@10) | fit s | p99 ms |",
                      "|---|---|---|---|---|---|"]
            for name, r in body["models"].items():
                d = r["NDCG@10_vs_sasrec"]
                latency = r.get("request_latency_beam", r["request_latency_exact"])["p99_ms"]
                lines.append(f"| {name} | {r['test']['NDCG@10']:.4f} [{r['ci95']['NDCG@10'][0]:.4f}, "
                             f"{r['ci95']['NDCG@10'][1]:.4f}] | {r['test']['HR@10']:.4f} [{r['ci95']['HR@10'][0]:.4f}, "
                             f"{r['ci95']['HR@10'][1]:.4f}] | {d['mean']:+.4f}{'' if d['significant'] else ' (noise)'} "
                             f"| {r['fit_seconds']} | {latency} |")
            g = body["models"]["generative"]
            lines += ["", f"Beam search (width {g['beam_vs_exact']['beam_width']}) against exact scoring: "
                      f"top-10 overlap {g['beam_vs_exact']['top10_overlap']:.1%}, same first item "
                      f"{g['beam_vs_exact']['same_first_item']:.1%}; the beam's own HR@10 "
                      f"{g['beam_vs_exact']['beam_HR@10']:.4f}, NDCG@10 {g['beam_vs_exact']['beam_NDCG@10']:.4f}. "
                      f"Request latency p50/p99: beam {g['request_latency_beam']['p50_ms']}/"
                      f"{g['request_latency_beam']['p99_ms']} ms, exact {g['request_latency_exact']['p50_ms']}/"
                      f"{g['request_latency_exact']['p99_ms']} ms. Peak RSS after its fit "
                      f"{g['peak_rss_mb_after_fit']} MB; {g['epochs']} epochs.", ""]
        elif part == "cold":
            lines += [f"{body['cold_items']} cold items, {body['test_cases']} test cases with a cold target.", "",
                      "| model | HR@10 (every item) | NDCG@10 (every item) | HR@10 (cold items) "
                      "| NDCG@10 (cold items) |",
                      "|---|---|---|---|---|"]
            for name, r in body["models"].items():
                lines.append(f"| {name} | {r['every item']['HR@10']:.4f} | {r['every item']['NDCG@10']:.4f} | "
                             f"{r['cold items']['HR@10']:.4f} | {r['cold items']['NDCG@10']:.4f} |")
            lines.append("")
        else:
            lines += ["| variant | valid NDCG@10 | vs default (paired, 95 % CI) | valid HR@10 "
                      "| items sharing k-means codes | unexplained energy | fit s |", "|---|---|---|---|---|---|---|"]
            for label, r in body.items():
                d = r.get("NDCG@10_vs_default")
                paired = "–" if d is None else f"{d['mean']:+.4f} [{d['low']:+.4f}, {d['high']:+.4f}]"
                lines.append(f"| {label} | {r['valid']['NDCG@10']:.4f} | {paired} | {r['valid']['HR@10']:.4f} | "
                             f"{r['items_sharing_codes']} | {r['relative_error']:.1%} | {r['fit_seconds']} |")
            lines.append("")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default="compare,cold,ablation")
    parser.add_argument("--datasets", default="ml-100k-loo,amazon-office-loo,caixin-news-loo,ml-latest-small-loo")
    parser.add_argument("--ablation-datasets", default="ml-100k-loo")
    parser.add_argument("--models", default=",".join(COMPARED),
                        help="compare: the models run beside the generative one (sasrec always: the reference)")
    parser.add_argument("--out-dir", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    torch.set_num_threads(2)
    for part in args.parts.split(","):
        run_part(part, args.ablation_datasets if part == "ablation" else args.datasets, args.out_dir,
                 tuple(dict.fromkeys(["generative", "sasrec", *args.models.split(",")])))


def run_part(part: str, datasets: str, out_dir: Path, models: tuple[str, ...] = COMPARED) -> None:
    """Run one part on each dataset, writing generative_<part>.{json,md} as results come in; a
    run replaces the datasets it ran and keeps the others."""
    out = out_dir / f"generative_{part}.json"
    report = json.loads(out.read_text()) if out.exists() else {}

    def save(dataset: str, rows: dict) -> None:
        report[dataset] = rows
        out.write_text(json.dumps(report, indent=2) + "\n")
        out.with_suffix(".md").write_text(markdown(part, report))

    for dataset in datasets.split(","):
        if part == "ablation":  # saved after each variant: a long run keeps what it measured
            save(dataset, ablation(dataset, lambda rows, dataset=dataset: save(dataset, rows)))
        else:
            save(dataset, compare(dataset, models) if part == "compare" else cold(dataset))


if __name__ == "__main__":
    main()
