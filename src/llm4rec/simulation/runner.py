"""Run policies against simulated users for many rounds and seeds; log slates for
off-policy evaluation and check the estimators against the simulator's truth."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy import stats

from llm4rec.distributed import batch_bounds
from llm4rec.evaluation.off_policy import ESTIMATORS, LoggedSlates, estimate_ctr
from llm4rec.progress import track
from llm4rec.ranking.policies import Policy, RandomPolicy, SlateContext, examination, make_policy
from llm4rec.simulation.users import SimulatedUsers, UserModelConfig
from llm4rec.simulation.world import World

METRICS = ("ctr", "cumulative_clicks", "coverage", "gini", "diversity", "entropy", "retention")
BATCH = 2048  # contexts per policy call when replaying logs


def gini(counts: np.ndarray) -> float:
    """Gini coefficient of exposure counts: 0 when every item is shown equally, 1 when one is."""
    values = np.sort(np.asarray(counts, np.float64))
    total = values.sum()
    if total == 0:
        return 0.0
    ranks = np.arange(1, len(values) + 1)
    return float(((2 * ranks - len(values) - 1) * values).sum() / (len(values) * total))


def slate_diversity(slates: np.ndarray, unit_vectors: np.ndarray) -> float:
    """Mean pairwise (1 - cosine) of the text embeddings within each slate."""
    k = slates.shape[1]
    if k < 2 or not len(slates):
        return 0.0
    vectors = unit_vectors[slates]
    cosine = np.einsum("nid,njd->nij", vectors, vectors)
    left, right = np.triu_indices(k, 1)
    return float((1.0 - cosine)[:, left, right].mean())


class Episode:
    """One policy against one seeded population of simulated users."""

    def __init__(self, world: World, policy: Policy, user_model: UserModelConfig, seed: int) -> None:
        self.world = world
        self.policy = policy
        self.users = SimulatedUsers(world.preference, world.topics, user_model, seed)
        self.available = np.isfinite(world.scores)
        self.impressions = np.zeros(world.scores.shape, np.float32)
        self.rng = np.random.default_rng(seed + 1_000_003)

    def active_users(self, k: int) -> np.ndarray:
        """Users still here; a user with fewer than k candidates left has nothing more to be
        offered and leaves."""
        self.users.active &= self.available.sum(axis=1) >= k
        return np.flatnonzero(self.users.active)

    def context(self, users: np.ndarray) -> SlateContext:
        return SlateContext(users, self.world.candidates[users], self.world.scores[users], self.available[users],
                            self.impressions[users])

    def step(self, users: np.ndarray, columns: np.ndarray, context: SlateContext) -> np.ndarray:
        """Show the slates, collect clicks, retire clicked candidates, let the policy learn."""
        slates = np.take_along_axis(context.candidates, columns, axis=1)
        clicks = self.users.respond(users, slates)
        rows, positions = np.nonzero(clicks)
        self.available[users[rows], columns[rows, positions]] = False
        np.add.at(self.impressions, (np.repeat(users, columns.shape[1]), columns.ravel()), ~clicks.ravel())
        self.policy.update(context, columns, clicks)
        return clicks

    def run(self, rounds: int, k: int) -> dict[str, np.ndarray]:
        """Per-round metrics (see METRICS); a round's slates go to the users still active."""
        out = {name: np.zeros(rounds) for name in METRICS}
        n_items = len(self.world.topics)
        total_clicks = 0
        for t in range(rounds):
            users = self.active_users(k)
            if len(users):
                context = self.context(users)
                columns = self.policy.select(context, k, self.rng)
                clicks = self.step(users, columns, context)
                slates = np.take_along_axis(context.candidates, columns, axis=1)
                total_clicks += int(clicks.sum())
                out["ctr"][t] = clicks.mean()
                out["coverage"][t] = len(np.unique(slates)) / n_items
                out["gini"][t] = gini(np.bincount(slates.ravel(), minlength=n_items))
                out["diversity"][t] = slate_diversity(slates, self.world.text_vectors)
                out["entropy"][t] = self.users.interest_entropy(users).mean()
            out["cumulative_clicks"][t] = total_clicks / self.world.n_users
            out["retention"][t] = self.users.active.mean()
        return out


def _mean_and_interval(runs: np.ndarray) -> tuple[np.ndarray, list[list[float]]]:
    """Mean over seeds (axis 0) and the 95 % Student-t interval of that mean."""
    mean = runs.mean(axis=0)
    if len(runs) < 2:
        return mean, [[float(v), float(v)] for v in mean]
    half = stats.t.ppf(0.975, len(runs) - 1) * runs.std(axis=0, ddof=1) / np.sqrt(len(runs))
    return mean, [[float(lo), float(hi)] for lo, hi in zip(mean - half, mean + half, strict=True)]


Runs = dict[str, list[dict[str, np.ndarray]]]  # policy -> one metrics dict per seed


def run_policies(world: World, policies: list[str], rounds: int, seeds: int, k: int = 10,
                 user_model: UserModelConfig | None = None,
                 settings: dict[str, dict[str, float]] | None = None) -> Runs:
    """Every policy against every seed's population; `settings` maps a policy name to its
    non-default settings.

    Seed s gives every policy the same simulated population and random stream, so policies
    differ only by what they show (and can be compared seed by seed).
    """
    user_model = user_model or UserModelConfig()
    settings = settings or {}
    runs: Runs = {name: [] for name in policies}
    for name, seed in track([(n, s) for n in policies for s in range(seeds)], "simulating policies x seeds"):
        policy = make_policy(name, world.item_features, world.n_users, **settings.get(name, {}))
        runs[name].append(Episode(world, policy, user_model, seed).run(rounds, k))
    return runs


def summarize_runs(runs: Runs) -> dict[str, dict]:
    """Per policy: each metric per round averaged over seeds, and `ci95` per metric."""
    results = {}
    for name, per_seed in runs.items():
        entry: dict = {"ci95": {}}
        for metric in METRICS:
            mean, interval = _mean_and_interval(np.stack([run[metric] for run in per_seed]))
            entry[metric] = [float(v) for v in mean]
            entry["ci95"][metric] = interval
        results[name] = entry
    return results


def paired_differences(runs: Runs, baseline: str) -> dict[str, dict[str, dict]]:
    """Each policy minus `baseline` at the last round, seed by seed (same population), for
    cumulative clicks, retention and coverage: mean and 95 % interval of the difference."""
    out = {}
    for name, per_seed in runs.items():
        if name == baseline:
            continue
        out[name] = {}
        for metric in ("cumulative_clicks", "retention", "coverage"):
            difference = np.array([[run[metric][-1] - base[metric][-1]]
                                   for run, base in zip(per_seed, runs[baseline], strict=True)])
            mean, interval = _mean_and_interval(difference)
            out[name][metric] = {"mean": float(mean[0]), "ci95": interval[0]}
    return out


def simulate(world: World, policies: list[str], rounds: int, seeds: int, k: int = 10,
             user_model: UserModelConfig | None = None,
             settings: dict[str, dict[str, float]] | None = None) -> dict[str, dict]:
    """`run_policies` then `summarize_runs`: the per-policy JSON of `llm4rec simulate`."""
    return summarize_runs(run_policies(world, policies, rounds, seeds, k, user_model, settings))


@dataclass
class OffPolicyData:
    """Logged slates plus what only the simulator knows: each candidate's click appeal
    in the state it was shown (for the true click rate of any other slate)."""

    logged: LoggedSlates
    appeal: np.ndarray  # (n, m)


def log_uniform_slates(world: World, rounds: int, k: int, seed: int,
                       user_model: UserModelConfig | None = None) -> OffPolicyData:
    """Slates from the uniformly random logging policy, whose propensity of any available
    candidate at any position is 1 / (available candidates)."""
    episode = Episode(world, RandomPolicy(), user_model or UserModelConfig(), seed)
    parts = []
    for _ in range(rounds):
        users = episode.active_users(k)
        if not len(users):
            break
        context = episode.context(users)
        appeal = episode.users.appeal(users, context.candidates)
        columns = episode.policy.select(context, k, episode.rng)
        propensity = np.repeat(1.0 / context.available.sum(axis=1, keepdims=True), columns.shape[1], axis=1)
        clicks = episode.step(users, columns, context)
        parts.append((context, columns, propensity, clicks, appeal))
    contexts = SlateContext.concatenate([p[0] for p in parts])
    logged = LoggedSlates(contexts, *(np.concatenate([p[i] for p in parts]) for i in (1, 2, 3)))
    return OffPolicyData(logged, np.concatenate([p[4] for p in parts]))


def target_slates(policy: Policy, context: SlateContext, k: int, seed: int) -> np.ndarray:
    """The slates a (non-learning) policy would show in each logged context."""
    rng = np.random.default_rng(seed)
    return np.concatenate([policy.select(context.rows(slice(start, stop)), k, rng)
                           for start, stop in batch_bounds(len(context.users), BATCH)])


def true_ctr(data: OffPolicyData, columns: np.ndarray) -> float:
    """Expected clicks per slot of these slates in the logged states (the simulator's truth)."""
    appeal = np.take_along_axis(data.appeal, columns, axis=1)
    return float((examination(columns.shape[1])[None, :] * appeal).mean())


def off_policy_check(world: World, policies: list[str], rounds: int, seeds: int, k: int = 10,
                     user_model: UserModelConfig | None = None,
                     settings: dict[str, dict[str, float]] | None = None, pool: int = 50) -> dict[str, dict]:
    """For each non-learning policy: its true click rate on the logged contexts and every
    estimator's value, per seed, with means and 95 % intervals over seeds; `within` says
    whether each estimate's mean lies inside the truth's interval or the truth's mean inside
    the estimate's.

    Slates are logged uniformly at random from each user's `pool` best candidates (as the
    randomised traffic that makes off-policy evaluation possible usually is), and the
    target policies choose from the same candidates.
    """
    settings = settings or {}
    world = replace(world, candidates=world.candidates[:, :pool], scores=world.scores[:, :pool])
    stateless = [p for p in policies if not make_policy(p, world.item_features, 1, **settings.get(p, {})).learns]
    values: dict[str, dict[str, list[float]]] = {p: {"truth": [], **{e: [] for e in ESTIMATORS}} for p in stateless}
    for seed in track(range(seeds), "off-policy logs"):
        data = log_uniform_slates(world, rounds, k, seed, user_model)
        for name in stateless:
            policy = make_policy(name, world.item_features, world.n_users, **settings.get(name, {}))
            columns = target_slates(policy, data.logged.contexts, k, seed)
            values[name]["truth"].append(true_ctr(data, columns))
            estimates = estimate_ctr(data.logged, columns)
            for estimator in ESTIMATORS:
                values[name][estimator].append(estimates[estimator])
    report = {}
    for name, per_seed in values.items():
        summary = {}
        for key, series in per_seed.items():
            mean, interval = _mean_and_interval(np.asarray(series)[:, None])
            summary[key] = {"mean": float(mean[0]), "ci95": interval[0], "per_seed": series}
        truth = summary["truth"]
        summary["within"] = {
            e: bool(truth["ci95"][0] <= summary[e]["mean"] <= truth["ci95"][1]
                    or summary[e]["ci95"][0] <= truth["mean"] <= summary[e]["ci95"][1])
            for e in ESTIMATORS}
        report[name] = summary
    return report
