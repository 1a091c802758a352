"""Studies on data: shilling attacks (attack-eval) and simulated users (simulate)."""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from llm4rec.cli.app import app
from llm4rec.cli.console import console, show_report, write_json
from llm4rec.cli.options import EncoderBackend, SkipBad, SplitDir, check_policies, data_source, encoder_settings
from llm4rec.data.load import load_split


@app.command("attack-eval")
def attack_eval(
    out: Annotated[Path, typer.Option(help="results JSON")] = Path("attack-eval.json"),
    data: Annotated[str, typer.Option(help="a dataset with ratings; its leave-one-out train part is attacked")
                    ] = "ml-100k",
    attacks: Annotated[str, typer.Option(help="comma-separated: random,average,bandwagon,segment")
                       ] = "random,average,bandwagon,segment",
    sizes: Annotated[str, typer.Option(help="fake users as shares of the real users")] = "0.01,0.03,0.05,0.1",
    filler: Annotated[float, typer.Option(min=0.001, max=0.5, help="filler items as a share of the catalogue")
                      ] = 0.05,
    model: Annotated[str, typer.Option(help="the model whose top-10 the attack tries to enter")] = "ease",
    seed: int = 0,
    skip_bad_rows: SkipBad = False,
) -> None:
    """Inject shilling attacks, detect the fake users without labels, filter them, and
    report detection precision/recall and the pushed item's HR@10 before, attacked, filtered."""
    from dataclasses import asdict

    from llm4rec.evaluation.attacks import evaluate_attack
    from llm4rec.feedback.attacks import Attack, choose_target
    from llm4rec.progress import track

    made, load_report = load_split(data, skip_bad_rows=skip_bad_rows)
    show_report(load_report)
    target = choose_target(made.train, seed)
    grid = [(a.strip(), float(s)) for a in attacks.split(",") for s in sizes.split(",")]
    results = [asdict(evaluate_attack(made.train, made.catalog, Attack(kind, size, filler, target, seed), model))
               for kind, size in track(grid, "attacks")]
    write_json(out, {"data": made.name, "target_item": str(made.train.items.ids[target]), "model": model,
                     "results": results})
    table = Table(title=f"shilling attacks on {made.name} (target item {made.train.items.ids[target]}, {model})")
    for column in ("attack", "size", "precision", "recall", "HR@10 before", "attacked", "filtered"):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(r["attack"], f"{r['size']:.2f}", f"{r['precision']:.3f}", f"{r['recall']:.3f}",
                      f"{r['target_hr10_before']:.4f}", f"{r['target_hr10_attacked']:.4f}",
                      f"{r['target_hr10_filtered']:.4f}")
    console.print(table)
    console.print(f"wrote {out}")


@app.command()
def simulate(
    out: Annotated[Path, typer.Option(help="per-policy results JSON (details and an HTML report beside it)")] = Path(
        "simulation.json"),
    rounds: Annotated[int, typer.Option(min=1, help="slates shown to every active user")] = 200,
    policies: Annotated[str, typer.Option(help="comma-separated: random,greedy,epsilon,linucb,thompson,mmr")
                        ] = "random,greedy,epsilon,linucb,thompson,mmr",
    seeds: Annotated[int, typer.Option(min=1, help="simulated populations; intervals are over seeds")] = 5,
    split_dir: SplitDir = None,
    data: Annotated[str | None, typer.Option("--data", help="ml-100k (default) or a raw data path")] = None,
    model: Annotated[str, typer.Option(help="base model whose candidates the policies rerank")] = "ease",
    k: Annotated[int, typer.Option(min=1, max=100, help="slate size")] = 10,
    pool: Annotated[int, typer.Option(min=2, help="candidates per user from the base model")] = 500,
    max_users: Annotated[int | None, typer.Option(min=1, help="simulate only the first N users")] = None,
    off_policy_rounds: Annotated[int, typer.Option(
        min=0, help="rounds of uniformly random logged slates for the off-policy check (0: skip)")] = 50,
    off_policy_pool: Annotated[int, typer.Option(min=2, help="candidates the logged slates are drawn from")] = 50,
    report: Annotated[Path | None, typer.Option(help="HTML report (default: OUT with .html)")] = None,
    encoder_backend: EncoderBackend = None,
    skip_bad_rows: SkipBad = False,
) -> None:
    """Run slate policies against simulated users grounded in real data for many rounds:
    CTR, clicks, coverage, exposure Gini, diversity, interest entropy and retention per
    round with 95 % intervals over seeds; then check off-policy estimators (replay, IPS,
    SNIPS, DR) against the simulator's true CTR."""
    from dataclasses import asdict

    from llm4rec.evaluation.simulation_report import write_simulation_report
    from llm4rec.simulation.runner import off_policy_check, paired_differences, run_policies, summarize_runs
    from llm4rec.simulation.users import UserModelConfig
    from llm4rec.simulation.world import WorldConfig, build_world

    with encoder_settings(None, encoder_backend):
        names = check_policies([p.strip() for p in policies.split(",") if p.strip()])
        source = "ml-100k" if split_dir is None and data is None else data_source(split_dir, data)
        made, load_report = load_split(source, skip_bad_rows=skip_bad_rows)
        show_report(load_report)
        started = time.perf_counter()
        world_config = WorldConfig(model=model, pool=pool, max_users=max_users)
        world = build_world(made.train_valid().concat(made.test), made.catalog, world_config)
        console.print(f"simulating {world.n_users:,} users of {made.name}, {rounds} rounds x {seeds} seeds, "
                      f"slates of {k} from {world.candidates.shape[1]} {model} candidates")
        user_model = UserModelConfig()
        runs = run_policies(world, names, rounds, seeds, k, user_model)
        results = summarize_runs(runs)
        details = {"command": "llm4rec " + " ".join(shlex.quote(a) for a in sys.argv[1:]), "data": made.name,
                   "rounds": rounds, "seeds": seeds, "k": k, "world": asdict(world_config),
                   "user_model": asdict(user_model), "off_policy_pool": off_policy_pool}
        if "greedy" in names and seeds > 1:
            details["paired_vs_greedy"] = paired_differences(runs, "greedy")
        if off_policy_rounds:
            details["off_policy"] = off_policy_check(world, names, off_policy_rounds, seeds, k, user_model,
                                                     pool=off_policy_pool)
        details["seconds"] = round(time.perf_counter() - started, 1)
        write_json(out, results)
        write_json(out.with_suffix(".details.json"), details)
        html_path = write_simulation_report(results, details, report or out.with_suffix(".html"))
        table = Table(title=f"{made.name}: {rounds} rounds, mean over {seeds} seeds")
        for column in ("policy", "clicks/user", "mean CTR", "coverage", "Gini", "entropy", "retention"):
            table.add_column(column, justify="right")
        for name, entry in results.items():
            table.add_row(name, f"{entry['cumulative_clicks'][-1]:.2f}", f"{sum(entry['ctr']) / rounds:.4f}",
                          f"{entry['coverage'][-1]:.3f}", f"{entry['gini'][-1]:.3f}", f"{entry['entropy'][-1]:.3f}",
                          f"{entry['retention'][-1]:.3f}")
        console.print(table)
        for name, difference in details.get("paired_vs_greedy", {}).items():
            console.print(f"{name} - greedy, same seeds: " + ", ".join(
                f"{metric} {d['mean']:+.3f} [{d['ci95'][0]:+.3f}, {d['ci95'][1]:+.3f}]"
                for metric, d in difference.items()))
        for name, check in details.get("off_policy", {}).items():
            console.print(f"off-policy {name}: true CTR {check['truth']['mean']:.4f}; " + ", ".join(
                f"{e} {check[e]['mean']:.4f}{'' if ok else ' (outside)'}" for e, ok in check["within"].items()))
        console.print(f"wrote {out}, {out.with_suffix('.details.json')} and {html_path} ({details['seconds']:.0f} s)")
