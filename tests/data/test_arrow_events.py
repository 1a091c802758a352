"""Event logs read in Arrow batches: Parquet with its types kept, CSV as strings (issue: live at
scale, 100M-event ingest)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from llm4rec.data import arrow_events
from llm4rec.data.events import load_events
from llm4rec.errors import DataError


def log() -> pd.DataFrame:
    return pd.DataFrame({"user_id": [7, 7, 8, 9, 9, 10], "item_id": ["a", "b", "a", "c", " b ", "a"],
                         "timestamp": pd.to_datetime(["2024-01-01T10:00:00"] * 6, utc=True)
                         + pd.to_timedelta(np.arange(6), unit="h"),
                         "rating": [4.0, 5.0, np.nan, 3.0, 2.5, 1.0],
                         "event_type": ["view", "purchase", "click", "view", "view", "cart"],
                         "dwell_time": [3.5, 20.0, 1.0, np.nan, 2.0, 0.5]})


def test_typed_parquet_loads_as_the_same_log_in_csv(tmp_path):
    frame = log()
    frame.to_parquet(tmp_path / "events.parquet")
    as_text = frame.assign(timestamp=frame["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S"))
    as_text.to_csv(tmp_path / "events.csv", index=False)
    typed, text = load_events(tmp_path / "events.parquet"), load_events(tmp_path / "events.csv")
    for field in ("user_index", "item_index", "timestamps", "ratings", "weights"):
        np.testing.assert_array_equal(getattr(typed.interactions, field), getattr(text.interactions, field))
    assert typed.interactions.users == text.interactions.users and typed.interactions.items.ids.tolist() == [
        "a", "b", "c"]  # " b " stripped, as the text reader strips
    assert typed.events["event_type"].tolist() == text.events["event_type"].tolist()
    np.testing.assert_allclose(typed.events["dwell_time"].to_numpy(float),
                               pd.to_numeric(text.events["dwell_time"]).to_numpy(float))


def test_batches_are_unified(tmp_path, monkeypatch):
    frame = log()
    frame.to_parquet(tmp_path / "events.parquet", row_group_size=2)
    whole = load_events(tmp_path / "events.parquet")
    monkeypatch.setattr(arrow_events, "BATCH_ROWS", 2)  # three batches, each with its own id dictionary
    batched = load_events(tmp_path / "events.parquet")
    assert batched.interactions.users == whole.interactions.users
    np.testing.assert_array_equal(batched.interactions.item_index, whole.interactions.item_index)
    assert batched.events["event_type"].tolist() == whole.events["event_type"].tolist()


def test_bad_values_are_named_by_row_and_column(tmp_path, monkeypatch):
    monkeypatch.setattr(arrow_events, "BATCH_ROWS", 2)  # the bad rows sit in later batches
    frame = log().assign(rating=["4", "5", "", "great", "2.5", "1"])  # a text column of numbers
    frame.loc[4, "user_id"] = None
    frame["user_id"] = frame["user_id"].astype("Int64")
    frame.to_parquet(tmp_path / "events.parquet")
    with pytest.raises(DataError) as error:
        load_events(tmp_path / "events.parquet")
    assert "line 4" in str(error.value) and "rating" in str(error.value) and "'great' is not a number" in str(
        error.value)
    kept = load_events(tmp_path / "events.parquet", skip_bad_rows=True)
    assert len(kept.interactions) == 4 and kept.report.skipped == 2
    assert [p.line for p in kept.report.examples] == [4, 5]


def test_a_row_missing_from_the_catalogue_is_named_after_dropped_rows(tmp_path):
    frame = log()
    frame.loc[1, "timestamp"] = pd.NaT  # row 2 is dropped as bad
    frame.loc[4, "item_id"] = "zz"  # row 5: not in the catalogue
    frame.to_parquet(tmp_path / "events.parquet")
    (tmp_path / "items.csv").write_text("item_id,title\na,A\nb,B\nc,C\n")
    with pytest.raises(DataError) as error:
        load_events(tmp_path / "events.parquet", tmp_path / "items.csv", skip_bad_rows=False)
    assert "line 2" in str(error.value)  # the bad timestamp comes first
    loaded = load_events(tmp_path / "events.parquet", tmp_path / "items.csv", skip_bad_rows=True)
    assert [p.line for p in loaded.report.examples] == [2, 5] and len(loaded.interactions) == 4
    assert arrow_events.file_rows(np.array([0, 1, 2, 3]), np.array([2, 5])).tolist() == [1, 3, 4, 6]


def test_a_csv_streamed_in_blocks_loads_as_the_text_reader_reads_it(tmp_path, monkeypatch):
    """Issue 23 (100M-event ingest): a CSV is read in Arrow batches with every cell a string, so
    ids keep their leading zeros and bad values are named by file line, as the text reader does."""
    frame = log().assign(user_id=["007", "007", "8", "9", "9", "10"],
                         timestamp=log()["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S"))
    frame.to_csv(tmp_path / "events.csv", index=False)
    monkeypatch.setattr(arrow_events, "CSV_BLOCK_BYTES", 64)  # a batch of a row or two
    streamed = load_events(tmp_path / "events.csv")
    as_text = pd.read_csv(tmp_path / "events.csv", dtype=str, keep_default_na=False)
    assert streamed.interactions.users.ids.tolist() == sorted(as_text["user_id"].unique())  # "007", not 7
    assert streamed.interactions.items.ids.tolist() == ["a", "b", "c"]
    assert streamed.events["event_type"].tolist() == as_text["event_type"].tolist()
    np.testing.assert_allclose(streamed.interactions.ratings, pd.to_numeric(as_text["rating"]).to_numpy(float))
    frame["rating"] = frame["rating"].astype(object)
    frame.loc[4, "rating"] = "great"  # file line 6 (the header is line 1)
    frame.to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(DataError, match="'great' is not a number") as error:
        load_events(tmp_path / "bad.csv")
    assert error.value.line == 6
    kept = load_events(tmp_path / "bad.csv", skip_bad_rows=True)
    assert len(kept.interactions) == 5 and [p.line for p in kept.report.examples] == [6]


def test_a_csv_that_arrow_rejects_is_read_by_the_text_reader_for_its_message(tmp_path):
    (tmp_path / "events.csv").write_text("user_id,item_id,timestamp\n1,a,5\n2,b,6,extra\n")
    with pytest.raises(DataError, match="do not split into the header's columns") as error:
        load_events(tmp_path / "events.csv")
    assert error.value.line == 3
    (tmp_path / "latin.csv").write_bytes("user_id,item_id,timestamp\n1,Caf\xe9,5\n".encode("latin-1"))
    loaded = load_events(tmp_path / "latin.csv")  # not UTF-8: the text reader detects the encoding
    assert loaded.interactions.items.ids.tolist() == ["Café"] and any("not UTF-8" in w for w in loaded.report.warnings)


def test_a_large_csv_that_arrow_rejects_is_a_clear_error_not_a_text_read(tmp_path, monkeypatch):
    from llm4rec.data import events

    monkeypatch.setattr(events, "TEXT_FALLBACK_BYTES", 10)  # as if the file were too big to hold as text
    (tmp_path / "events.csv").write_text("user_id,item_id,timestamp\n1,a,5\n2,b,6,extra\n")
    with pytest.raises(DataError, match="could not be read") as error:
        load_events(tmp_path / "events.csv")
    assert "Parquet" in error.value.hint


def test_a_quoted_header_name_may_hold_the_separator(tmp_path):
    (tmp_path / "events.csv").write_text('"user_id","item,id","timestamp"\n1,a,5\n')
    with pytest.raises(DataError, match=r"the file has columns \['user_id', 'item,id', 'timestamp'\]"):
        load_events(tmp_path / "events.csv")
    assert load_events(tmp_path / "events.csv", columns={"item_id": "item,id"}).interactions.items.ids.tolist() == ["a"]


def text_reader_forbidden(monkeypatch):
    """Fail the test if the loader falls back to the text reader."""
    from llm4rec.data import events

    def refuse(*args, **kwargs):
        raise AssertionError("read through the text reader, not in Arrow batches")

    monkeypatch.setattr(events, "_parse_events", refuse)


@pytest.mark.parametrize("name", ["events.jsonl", "events.jsonl.gz", "events.csv.gz"])
def test_json_lines_and_gzipped_logs_stream_as_the_csv_loads(tmp_path, monkeypatch, name):
    """Issue 23: JSON lines and gzipped files take the batched path too, and load the same log."""
    frame = log().assign(timestamp=log()["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S"))
    frame.to_csv(tmp_path / "events.csv", index=False)
    expected = load_events(tmp_path / "events.csv")
    if ".jsonl" in name:  # user ids as JSON numbers, missing values as null
        frame.to_json(tmp_path / name, orient="records", lines=True)
    else:
        frame.to_csv(tmp_path / name, index=False)
    monkeypatch.setattr(arrow_events, "JSON_BLOCK_BYTES", 256)
    monkeypatch.setattr(arrow_events, "CSV_BLOCK_BYTES", 64)  # several batches
    text_reader_forbidden(monkeypatch)
    streamed = load_events(tmp_path / name)
    for field in ("user_index", "item_index", "timestamps", "ratings"):
        np.testing.assert_array_equal(getattr(streamed.interactions, field), getattr(expected.interactions, field))
    assert streamed.interactions.users.ids.tolist() == ["10", "7", "8", "9"]
    assert streamed.events["event_type"].tolist() == expected.events["event_type"].tolist()


def test_a_bad_json_value_is_named_by_its_line(tmp_path, monkeypatch):
    lines = ['{"user_id": 1, "item_id": "a", "timestamp": 5, "rating": "4"}'] * 3  # ratings written as strings
    lines.append('{"user_id": 2, "item_id": "b", "timestamp": 6, "rating": "great"}')
    (tmp_path / "events.jsonl").write_text("\n".join(lines) + "\n")
    text_reader_forbidden(monkeypatch)
    with pytest.raises(DataError, match="'great' is not a number") as error:
        load_events(tmp_path / "events.jsonl")
    assert error.value.line == 4


def test_a_json_field_that_changes_type_is_read_as_text_or_named(tmp_path, monkeypatch):
    """Arrow fixes a JSON field's type from its first block: an id written as a number there and
    as a string later is read by the text reader, or, past its size limit, is a clear error."""
    from llm4rec.data import events

    lines = [f'{{"user_id": {u}, "item_id": "a", "timestamp": 5}}' for u in range(40)]
    lines.append('{"user_id": "u2", "item_id": "b", "timestamp": 6}')
    (tmp_path / "events.jsonl").write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(arrow_events, "JSON_BLOCK_BYTES", 512)
    loaded = load_events(tmp_path / "events.jsonl")
    assert "u2" in loaded.interactions.users.ids.tolist() and loaded.interactions.n_users == 41
    monkeypatch.setattr(events, "TEXT_FALLBACK_BYTES", 10)
    with pytest.raises(DataError, match="could not be read") as error:
        load_events(tmp_path / "events.jsonl")
    assert "one JSON type" in error.value.hint


def test_gzipped_json_lines_read_as_text_name_the_file_line(tmp_path):
    """JSON lines have no header, gzipped too: the text reader's line 3 is the third record."""
    import gzip

    lines = ['{"user_id": 1, "item_id": "a", "timestamp": 5}', '{"user_id": "u2", "item_id": "b", "timestamp": 6}',
             '{"user_id": 3, "item_id": "c", "timestamp": "soon"}']  # ids change type: read as text
    (tmp_path / "events.jsonl.gz").write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    with pytest.raises(DataError, match="soon") as error:
        load_events(tmp_path / "events.jsonl.gz")
    assert error.value.line == 3
