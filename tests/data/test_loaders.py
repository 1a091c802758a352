"""Every loader on real files, and on broken files: a clear error naming file, line, column."""

import gzip
import json

import pandas as pd
import pytest

from llm4rec.data.amazon import load_amazon
from llm4rec.data.atomic import load_atomic
from llm4rec.data.events import load_events
from llm4rec.data.load import load_dataset
from llm4rec.data.movielens import load_movielens_csv, load_movielens_dat
from llm4rec.data.split_dir import read_split_dir
from llm4rec.data.tables import read_table
from llm4rec.errors import DataError


def test_ml100k_from_the_recbole_wheel(ml100k):
    assert (ml100k.interactions.n_users, ml100k.interactions.n_items) == (943, 1682)
    assert len(ml100k.interactions) == 100_000
    assert ml100k.catalog.titles(["1"]) == ["Toy Story"]
    assert ml100k.catalog.frame.loc["1", "genres"] == "Animation|Children's|Comedy"
    assert "occupation" in ml100k.users.columns


def test_latest_csv_reports_the_orphan_last_row(shared_data):
    with pytest.raises(DataError, match="999999") as error:
        load_movielens_csv(shared_data / "ml-latest-small")
    assert error.value.line == 100838 and "ratings.csv" in str(error.value.file)


def test_latest_csv_skip_bad_rows_counts_what_it_dropped(shared_data):
    dataset = load_movielens_csv(shared_data / "ml-latest-small", skip_bad_rows=True)
    assert len(dataset.interactions) == 100_836
    assert dataset.report.skipped == 1 and "999999" in str(dataset.report.examples[0])
    assert dataset.interactions.n_items == 9724
    assert len(dataset.user_texts) == 3683


def test_split_dir_with_string_ids_and_floats(shared_data):
    split, report = read_split_dir(shared_data / "amazon-office-loo")
    assert split.train.n_items == 2420 and split.train.n_users == 4905
    assert len(split.train) + len(split.valid) + len(split.test) == 53_258
    assert split.catalog.text_columns == ["text"] and report.lines() == []


def test_split_dir_without_items_tsv(tmp_path):
    for part in ("train", "valid", "test"):
        (tmp_path / f"{part}.tsv").write_text("user_id\titem_id\trating\ttimestamp\nu1\tx y\t4.5\t10\n")
    split, _ = read_split_dir(tmp_path)
    assert split.catalog is None and split.train.items.ids.tolist() == ["x y"]
    assert split.train.ratings.tolist() == [4.5]


def test_split_dir_keeps_interactions_missing_from_items_tsv(tmp_path):
    for part in ("train", "valid", "test"):
        (tmp_path / f"{part}.tsv").write_text("user_id\titem_id\trating\ttimestamp\n1\t7\t1\t10\n")
    (tmp_path / "items.tsv").write_text("item_id\ttitle\n8\tother\n")
    split, report = read_split_dir(tmp_path)
    assert len(split.test) == 1 and "no catalogue row" in report.lines()[0]


def test_atomic_files(tmp_path):
    (tmp_path / "d.inter").write_text("user_id:token\titem_id:token\ttimestamp:float\n1\ta\t5\n2\tb\t6\n")
    (tmp_path / "d.item").write_text("item_id:token\ttitle:token_seq\ta\tAlpha\nb\tBeta\n".replace("\ta\t", "\na\t"))
    dataset = load_atomic(tmp_path / "d.inter")
    assert dataset.catalog.titles(["b"]) == ["Beta"] and len(dataset.interactions) == 2


def test_atomic_header_without_type(tmp_path):
    (tmp_path / "d.inter").write_text("user_id\titem_id:token\ttimestamp:float\n1\ta\t5\n")
    with pytest.raises(DataError, match="no RecBole type"):
        load_atomic(tmp_path / "d.inter")


def test_movielens_dat(tmp_path):
    (tmp_path / "ratings.dat").write_text("1::10::5::978300760\n1::11::3::978300761\n")
    (tmp_path / "movies.dat").write_bytes("10::Caf\xe9 (1995)::Comedy|Drama\n11::B (1996)::Drama\n".encode("latin-1"))
    dataset = load_movielens_dat(tmp_path)
    assert dataset.catalog.titles(["10"]) == ["Café (1995)"]
    assert dataset.interactions.ratings.tolist() == [5.0, 3.0]


def test_amazon_reviews_gzip_with_metadata(tmp_path):
    reviews = [
        {"reviewerID": "A1", "asin": "B01", "overall": 5.0, "unixReviewTime": 100, "summary": "Great",
         "reviewText": "Nice pen"},
        {"reviewerID": "A2", "asin": "B02", "overall": 2.0, "unixReviewTime": 200, "reviewText": "Leaks"},
    ]
    path = tmp_path / "reviews_Office_5.json.gz"
    path.write_bytes(gzip.compress("\n".join(json.dumps(r) for r in reviews).encode()))
    meta = tmp_path / "meta.json"
    meta.write_text("{'asin': 'B01', 'title': 'Pen', 'categories': [['Office', 'Pens']], 'price': 1.5}\n"
                    '{"asin": "B02", "title": "Ink", "brand": "Acme"}\n')
    dataset = load_amazon(path, meta)
    assert dataset.catalog.frame.loc["B01", "categories"] == "Office|Pens"
    assert dataset.user_texts["text"].tolist() == ["Great. Nice pen", "Leaks"]
    assert load_dataset(path, meta).interactions.n_users == 2


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_generic_event_logs(tmp_path, suffix):
    frame = pd.DataFrame({"user_id": ["u1", "u1", "u2"], "item_id": ["i1", "i2", "i1"],
                          "timestamp": ["2024-01-01T10:00:00", "2024-01-02T10:00:00", "2024-01-03T00:00:00"],
                          "event_type": ["view", "purchase", "click"], "dwell_time": [3.5, 20, 1]})
    path = tmp_path / f"events{suffix}"
    {".csv": lambda: frame.to_csv(path, index=False), ".parquet": lambda: frame.to_parquet(path),
     ".jsonl": lambda: frame.to_json(path, orient="records", lines=True)}[suffix]()
    (tmp_path / "items.csv").write_text("item_id,title,price\ni1,Lamp,10\ni2,Desk,99.5\n")
    dataset = load_events(path, tmp_path / "items.csv")
    assert len(dataset.interactions) == 3 and dataset.events["event_type"].tolist() == ["view", "purchase", "click"]
    assert dataset.interactions.timestamps[0] == 1704103200
    assert dataset.catalog.numeric_columns == ["price"]


def test_typed_parquet_columns_read_as_the_strings_a_csv_would_give(tmp_path):
    frame = pd.DataFrame({"user_id": [7, 8, 9], "score": [1.5, float("nan"), 1e20], "flag": [True, False, True],
                          "note": ["a", None, "c"]})
    frame.to_parquet(tmp_path / "t.parquet")
    table = read_table(tmp_path / "t.parquet")
    assert table.to_dict("list") == {"user_id": ["7", "8", "9"], "score": ["1.5", "", "1e+20"],
                                     "flag": ["True", "False", "True"], "note": ["a", "", "c"]}
    assert all(table[column].dtype == object for column in table)


def _csv(tmp_path, text, name="events.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    ("text", "match", "line", "column"),
    [
        ("user_id,item_id\n1,2\n", "Missing column 'timestamp'", 1, "timestamp"),
        ("user_id,item_id,timestamp\n1,2,yesterday\n", "neither a number", 2, "timestamp"),
        ("user_id,item_id,timestamp\n1,2,5\n,3,6\n", "empty user_id", 3, "user_id"),
        ("user_id,item_id,timestamp\n1,NaN,5\n", "empty item_id", 2, "item_id"),
        ("user_id,item_id,timestamp,rating\n1,2,5,good\n", "not a number", 2, "rating"),
    ],
)
def test_bad_event_rows(tmp_path, text, match, line, column):
    with pytest.raises(DataError, match=match) as error:
        load_events(_csv(tmp_path, text))
    assert error.value.line == line and error.value.column == column
    assert "events.csv" in str(error.value) and "Hint:" in str(error.value)


def test_another_separator_is_detected_with_a_note(tmp_path):
    dataset = load_events(_csv(tmp_path, "user_id;item_id;timestamp\n1;2;5\n"))
    assert dataset.interactions.items.ids.tolist() == ["2"]
    assert any("read as semicolon-separated" in w for w in dataset.report.warnings)
    with pytest.raises(DataError, match="semicolon-separated") as error:  # a format that fixes its separator
        load_events(_csv(tmp_path, "user_id;item_id;timestamp\n1;2;5\n"), separator=",")
    assert error.value.line == 1 and "comma-separated" in str(error.value)


def test_encoding_is_detected_utf8_first_then_a_fallback_with_a_note(tmp_path):
    utf8 = load_events(_csv(tmp_path, "user_id,item_id,timestamp\n1,Misérables,5\n", "u.csv"))
    assert utf8.interactions.items.ids.tolist() == ["Misérables"] and not utf8.report.warnings
    bom = load_events(_csv(tmp_path, "\ufeffuser_id,item_id,timestamp\n1,Café,5\n", "bom.csv"))
    assert bom.interactions.items.ids.tolist() == ["Café"]
    path = _csv(tmp_path, "user_id,item_id,timestamp\n1,Caf\xe9,5\n", encoding="latin-1")
    fallback = load_events(path)
    assert fallback.interactions.items.ids.tolist() == ["Café"]
    assert any("not UTF-8 (byte 0xe9 on line 2); read as cp1252" in w for w in fallback.report.warnings)


def test_a_named_encoding_that_does_not_fit_names_the_line(tmp_path):
    path = _csv(tmp_path, "user_id,item_id,timestamp\n1,Caf\xe9,5\n", encoding="latin-1")
    with pytest.raises(DataError, match="not valid utf-8") as error:
        load_events(path, encoding="utf-8")
    assert error.value.line == 2
    assert load_events(path, encoding="latin-1").interactions.items.ids.tolist() == ["Café"]


def test_empty_file(tmp_path):
    with pytest.raises(DataError, match="empty"):
        load_events(_csv(tmp_path, ""))
    with pytest.raises(DataError, match="no data rows"):
        load_events(_csv(tmp_path, "user_id,item_id,timestamp\n"))


def test_skip_bad_rows_counts_and_keeps_examples(tmp_path):
    path = _csv(tmp_path, "user_id,item_id,timestamp\n1,2,5\n,3,6\n4,5,never\n6,7,8\n")
    dataset = load_events(path, skip_bad_rows=True)
    assert len(dataset.interactions) == 2 and dataset.report.skipped == 2
    assert [p.line for p in dataset.report.examples] == [3, 4]


def test_duplicates_are_reported_not_dropped(tmp_path):
    dataset = load_events(_csv(tmp_path, "user_id,item_id,timestamp\n1,2,5\n1,2,5\n"))
    assert len(dataset.interactions) == 2 and dataset.report.duplicates == 1
    assert "duplicated" in dataset.report.lines()[0]


def test_catalogue_with_repeated_ids(tmp_path):
    events = _csv(tmp_path, "user_id,item_id,timestamp\n1,2,5\n")
    items = _csv(tmp_path, "item_id,title\n2,A\n2,B\n", name="items.csv")
    with pytest.raises(DataError, match="repeats") as error:
        load_events(events, items)
    assert error.value.line == 3
