"""`llm4rec batch-recommend`: the top k of every user, seen items left out, in a file."""

import pandas as pd
from typer.testing import CliRunner

from llm4rec.cli.main import app
from llm4rec.data.split_dir import read_split_dir


def test_batch_recommend_writes_every_users_top_k(shared_data, tmp_path):
    out, bundles = tmp_path / "recs.parquet", tmp_path / "bundles"
    trained = CliRunner().invoke(app, ["train", "--split-dir", str(shared_data / "ml-100k-loo"), "--model", "pop",
                                       "--out", str(bundles)])
    assert trained.exit_code == 0, trained.output
    result = CliRunner().invoke(app, ["batch-recommend", "--model-dir", str(bundles), "--k", "7", "--out", str(out)])
    assert result.exit_code == 0, result.output
    recs = pd.read_parquet(out)
    split, _ = read_split_dir(shared_data / "ml-100k-loo")
    everything = split.train_valid().concat(split.test).to_frame()
    assert recs["user_id"].nunique() == everything["user_id"].nunique()
    assert (recs.groupby("user_id")["rank"].apply(list) == [list(range(1, 8))] * recs["user_id"].nunique()).all()
    seen = set(zip(everything["user_id"], everything["item_id"], strict=True))
    assert not any((u, i) in seen for u, i in zip(recs["user_id"], recs["item_id"], strict=True))
    assert (recs.groupby("user_id")["score"].apply(lambda s: s.is_monotonic_decreasing)).all()
