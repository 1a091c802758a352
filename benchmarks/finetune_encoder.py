"""Benchmark: the text encoder fine-tuned on behaviour against the frozen one.

For each shared split, `llm4rec finetune` (default method) runs on the training part, then the
text model, the hybrid blend and the sequential hybrid are tuned on valid and tested (full
ranking) with the frozen and with the fine-tuned encoder: bootstrap intervals and paired
differences. Item cold start: 20 % of items (seeded) lose their training interactions, the
encoder is fine-tuned on that reduced training part (those items' texts are never training
targets), and the text model is tested on the test cases whose target is a cold item.
With --methods, a table on the first dataset: trainable parameters, wall time, peak memory and
the text model's test NDCG@10 for each fine-tuning method (each run in its own process, so
peak memory is that run's).

Writes benchmarks/results/finetune_<dataset>.{json,md} and finetune_methods.json.
Run with `make bench-finetune`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from llm4rec.data.split_dir import read_split_dir, write_split_dir
from llm4rec.evaluation.cold_start import among_cold_items, item_cold_start
from llm4rec.evaluation.intervals import bootstrap_ci, paired_difference_ci
from llm4rec.evaluation.protocol import tune_and_test
from llm4rec.evaluation.ranking import evaluate
from llm4rec.models.registry import create_model
from llm4rec.settings import overridden
from llm4rec.text.tuned import read_manifest

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
LLM4REC = str(Path(sys.executable).with_name("llm4rec"))
MODELS = ("text", "hybrid", "seqhybrid")  # --models to run fewer


def run_finetune(split_dir: Path, out: Path, method: str = "head", settings: dict | None = None) -> dict:
    """`llm4rec finetune` in its own process; the folder's training record."""
    subprocess.run([LLM4REC, "finetune", "--split-dir", str(split_dir), "--out", str(out), "--method", method,
                    "--params", json.dumps(settings or {})], check=True, stdout=subprocess.DEVNULL)
    return read_manifest(out)["training"]


def with_encoder(folder: Path | None):
    """Every text encoder inside the scope uses `folder` (None: the frozen default)."""
    return overridden(encoder=str(folder) if folder is not None else None)


def figures(per_case: dict, summary: dict) -> dict:
    return {"NDCG@10": summary["NDCG@10"], "HR@10": summary["HR@10"],
            "ci95": {m: bootstrap_ci(per_case[m]) for m in ("NDCG@10", "HR@10")}}


def compare(frozen_per_case: dict, tuned_per_case: dict) -> dict:
    frozen, tuned = frozen_per_case["NDCG@10"], tuned_per_case["NDCG@10"]
    return {"ratio": float(tuned.mean() / max(frozen.mean(), 1e-12)),
            "difference": paired_difference_ci(tuned, frozen)}


def warm(dataset: str, encoder: Path, models: list[str]) -> dict:
    split, _ = read_split_dir(SHARED / dataset)
    rows = {}
    for name in models:
        runs = {}
        for label, folder in (("frozen", None), ("fine-tuned", encoder)):
            with with_encoder(folder):
                result = tune_and_test(name, split)
            runs[label] = result
            print(f"{dataset} {name} {label}: test NDCG@10 {result.test['NDCG@10']:.4f}", flush=True)
        rows[name] = {label: figures(r.test_evaluation.per_case, r.test) | {"params": r.params}
                      for label, r in runs.items()}
        rows[name]["fine-tuned vs frozen"] = compare(runs["frozen"].test_evaluation.per_case,
                                                     runs["fine-tuned"].test_evaluation.per_case)
    return rows


def cold(dataset: str, work: Path) -> dict:
    """The text model on the test cases whose target is a cold item, ranked among every item and
    among the cold items only, with the frozen and with the fine-tuned encoder."""
    split, _ = read_split_dir(SHARED / dataset)
    reduced, cases, cold_items = item_cold_start(split)
    write_split_dir(reduced, work / "cold-split")
    training = run_finetune(work / "cold-split", work / "cold-encoder")
    report = {"cold_items": len(cold_items), "test_cases": len(cases), "training": training}
    models = {}
    for label, folder in (("frozen", None), ("fine-tuned", work / "cold-encoder")):
        # Default settings, as in run_cold_start.py: the cold items have no valid rows to tune on.
        with with_encoder(folder):
            models[label] = create_model("text").fit(reduced.train_valid(), reduced.catalog)
    for ranking, ranked_cases in (("every item", cases), ("cold items", among_cold_items(cases, cold_items))):
        evaluations = {label: evaluate(model, ranked_cases) for label, model in models.items()}
        row = {label: figures(e.per_case, e.summary) for label, e in evaluations.items()}
        print(f"{dataset} cold text, ranked among {ranking}: frozen {row['frozen']['NDCG@10']:.4f} "
              f"fine-tuned {row['fine-tuned']['NDCG@10']:.4f}", flush=True)
        report[f"among {ranking}"] = row | {
            "fine-tuned vs frozen": compare(evaluations["frozen"].per_case, evaluations["fine-tuned"].per_case)}
    return report


def methods_table(dataset: str, methods: list[str], work: Path, max_minutes: float | None) -> dict:
    split, _ = read_split_dir(SHARED / dataset)
    rows = {}
    for method in methods:
        budget = {"max_minutes": max_minutes} if max_minutes and method != "head" else {}
        training = run_finetune(SHARED / dataset, work / method, method, budget)
        with with_encoder(work / method):
            result = tune_and_test("text", split)
        kept = ("trainable_parameters", "total_parameters", "trainable_share", "seconds", "peak_memory_mb",
                "best_valid_ndcg", "best_epoch", "stopped", "valid_ndcg")
        rows[method] = {key: training[key] for key in kept} | figures(result.test_evaluation.per_case, result.test)
        print(f"{dataset} {method}: {rows[method]['seconds']} s, test NDCG@10 {result.test['NDCG@10']:.4f}", flush=True)
    return rows


def markdown(dataset: str, report: dict) -> str:
    models = ",".join(report["warm"])
    command = f"python benchmarks/finetune_encoder.py --datasets {dataset}" + (
        f" --models {models}" if models != ",".join(MODELS) else "")
    lines = [f"# Fine-tuned encoder on {dataset}", "", f"Command: `{command}`", "",
             f"Fine-tuning (head): {report['training']['seconds']} s, peak memory "
             f"{report['training']['peak_memory_mb']} MB, valid NDCG@10 of the text model "
             f"{report['training']['frozen_valid_ndcg']:.4f} -> {report['training']['best_valid_ndcg']:.4f}.", "",
             "| model | frozen NDCG@10 [95 % CI] | fine-tuned NDCG@10 [95 % CI] | ratio | paired difference |",
             "|---|---|---|---|---|"]
    rows = dict(report["warm"]) | {f"text, cold items, ranked among {ranking}": report["cold"][f"among {ranking}"]
                                   for ranking in ("every item", "cold items")}
    for name, row in rows.items():
        cells = [f"{row[label]['NDCG@10']:.4f} [{row[label]['ci95']['NDCG@10'][0]:.4f}, "
                 f"{row[label]['ci95']['NDCG@10'][1]:.4f}]" for label in ("frozen", "fine-tuned")]
        versus = row["fine-tuned vs frozen"]
        difference = versus["difference"]
        lines.append(f"| {name} | {cells[0]} | {cells[1]} | {versus['ratio']:.2f} x | {difference['mean']:+.4f} "
                     f"[{difference['low']:+.4f}, {difference['high']:+.4f}]"
                     f"{'' if difference['significant'] else ' (noise)'} |")
    lines += ["", f"Cold items: {report['cold']['cold_items']}, test cases with a cold target: "
                  f"{report['cold']['test_cases']}; ranked among the cold items, every item with interactions "
                  "is left out of the ranking (the usual item cold-start evaluation of content-based models). "
                  "'(noise)': the paired 95 % interval includes zero."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--datasets", default="ml-100k-loo,ml-latest-small-loo,amazon-office-loo")
    parser.add_argument("--methods", default="", help="e.g. head,lora,adalora,full (table on the first dataset)")
    parser.add_argument("--models", default=",".join(MODELS), help="models compared frozen vs fine-tuned")
    parser.add_argument("--max-minutes", type=float, help="budget of each transformer method (default 12)")
    parser.add_argument("--no-compare", action="store_true", help="only the methods table")
    parser.add_argument("--parts", default="warm,cold", type=lambda text: set(text.split(",")),
                        help="warm, cold or both; a part not run is kept from the existing results file "
                             "(each part fine-tunes its own encoder, so the parts are independent)")
    parser.add_argument("--out-dir", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        for dataset in [] if args.no_compare else args.datasets.split(","):
            out = args.out_dir / f"finetune_{dataset}.json"
            report = json.loads(out.read_text()) if out.exists() else {}
            if "warm" in args.parts:
                report["training"] = run_finetune(SHARED / dataset, work / dataset)
                report["warm"] = warm(dataset, work / dataset, args.models.split(","))
            if "cold" in args.parts:
                report["cold"] = cold(dataset, work / f"{dataset}-cold")
            if not {"warm", "cold"} <= report.keys():
                sys.exit(f"{out} lacks a part; run with --parts warm,cold first")
            out.write_text(json.dumps(report, indent=2) + "\n")
            out.with_suffix(".md").write_text(markdown(dataset, report))
        if args.methods:
            dataset = args.datasets.split(",")[0]
            table = methods_table(dataset, args.methods.split(","), work / "methods", args.max_minutes)
            (args.out_dir / "finetune_methods.json").write_text(json.dumps({dataset: table}, indent=2) + "\n")


if __name__ == "__main__":
    main()
