"""Chinese and other languages: detection, the multilingual encoder, warnings, and outputs in the
reader's language (issue: Chinese and other languages)."""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pytest
from fastapi.testclient import TestClient

from llm4rec.data.split_dir import read_split_dir
from llm4rec.explain.sentences import explain_recommendations
from llm4rec.models.ease import EASE
from llm4rec.models.item_features import text_vectors
from llm4rec.models.text_content import TextContent
from llm4rec.profiles.summary import describe, readable_profile, tokens
from llm4rec.serving.app import create_app
from llm4rec.serving.bundle import save_bundle
from llm4rec.serving.security import ApiKeys
from llm4rec.serving.settings import ServiceSettings
from llm4rec.text.encoder import TextEncoder
from llm4rec.text.languages import covers, detect, suitable_encoder

GENRES = {"Action", "Adventure", "Animation", "Comedy", "Crime", "Drama", "Romance", "Sci-Fi", "Thriller", "War"}


@pytest.fixture(scope="module")
def caixin_slice(shared_data, tmp_path_factory):
    """The first 4,000 training rows of caixin-news-loo with their users' valid/test rows."""
    folder = tmp_path_factory.mktemp("caixin")
    source = shared_data / "caixin-news-loo"
    train = (source / "train.tsv").read_text().splitlines()[:4001]
    users = {line.split("\t")[0] for line in train[1:]}
    (folder / "train.tsv").write_text("\n".join(train) + "\n")
    for part in ("valid", "test"):
        lines = (source / f"{part}.tsv").read_text().splitlines()
        (folder / f"{part}.tsv").write_text("\n".join([lines[0]] + [x for x in lines[1:] if x.split("\t")[0] in users])
                                            + "\n")
    (folder / "items.tsv").write_text((source / "items.tsv").read_text())
    return folder


def test_language_detection_by_script():
    assert detect(["财新网：中国经济增长放缓", "银行改革"]).language == "zh"
    assert detect(["Toy Story (1995)", "Heat"]).language == "en"
    assert detect(["東京のニュース", "ひらがな"]).language == "ja"
    empty = detect(["", "  ", "Heat"])
    assert empty.language == "en" and empty.empty_share == pytest.approx(2 / 3, abs=1e-3)
    assert covers("all-MiniLM-L6-v2", "zh") is False and covers("use-multilingual", "zh") is True
    assert covers("/some/local/folder", "zh") is None  # unknown: no false warning
    assert suitable_encoder("zh") == "use-multilingual" and suitable_encoder("en") is None


def test_the_multilingual_encoder_places_a_chinese_and_an_english_description_together():
    encoder = TextEncoder("use-multilingual", cache=False, show_progress=False)
    vectors = encoder.encode(["一部有趣的太空冒险电影", "A funny space adventure film", "一部悲伤的爱情电影"])
    assert vectors.shape == (3, 512) and np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.1  # the same meaning across languages wins
    with pytest.raises(Exception, match="numpy"):
        TextEncoder("use-multilingual", cache=False, backend="onnx")


def test_an_uncovered_language_and_missing_text_are_warned(caixin_slice):
    split, _ = read_split_dir(caixin_slice)
    with pytest.warns(UserWarning, match=r"mostly 'zh'.*pass --encoder use-multilingual"):
        text_vectors(split.catalog, split.train.items, "all-MiniLM-L6-v2", None, "text")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        text_vectors(split.catalog, split.train.items, "use-multilingual", None, "text")
    split.catalog.frame["title"] = ""
    with pytest.warns(UserWarning, match="have no text"):
        text_vectors(split.catalog, split.train.items, "use-multilingual", None, "text")


def test_chinese_keywords_and_profiles_with_translated_genres(ml100k_loo):
    assert tokens("周星驰 喜剧 电影") == ["周星驰", "喜剧", "电影"]
    history = ml100k_loo.train.histories()[ml100k_loo.train.users.index("1")]
    summary = describe(readable_profile(history, ml100k_loo.train.items, ml100k_loo.catalog), "zh")
    assert summary.startswith("主要喜欢 剧情") and not GENRES & set(re.findall(r"[A-Za-z-]+", summary))


def test_chinese_explanations_name_no_english_genre(ml100k_loo):
    model = EASE(l2=200.0).fit(ml100k_loo.train)
    history = ml100k_loo.train.histories()[ml100k_loo.train.users.index("1")]
    items = model.recommend([history], 10)[0][0]
    explained = explain_recommendations(model, ml100k_loo.train, ml100k_loo.catalog, "1", history, items, "zh")
    for entry in explained["recommendations"]:
        attributes = entry["explanation"].split("同样属于")[-1] if "同样属于" in entry["explanation"] else ""
        assert not GENRES & set(re.findall(r"[A-Za-z-]+", attributes)), entry["explanation"]


def test_the_service_answers_in_the_readers_language(ml100k_loo, tmp_path):
    root = tmp_path / "bundles"
    save_bundle(EASE(l2=200.0).fit(ml100k_loo.train), ml100k_loo.train, ml100k_loo.catalog, root)
    settings = ServiceSettings(bundle_path=root, feedback_db=tmp_path / "f.sqlite", api_keys=ApiKeys.from_sources("k"))
    with TestClient(create_app(settings), headers={"X-API-Key": "k"}) as client:
        assert client.get("/users/1/profile?lang=zh").json()["summary"].startswith("主要喜欢")
        assert client.get("/users/1/profile").json()["summary"].startswith("Mostly")
        chinese = client.get("/recommend/1?k=2&explain=true", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).json()
        assert all(item["explanation"].startswith("因为") for item in chinese["items"])
        assert client.get("/users/1/profile?lang=fr").status_code == 422


def test_cli_on_a_caixin_slice_chooses_the_multilingual_encoder(run_main, caixin_slice, tmp_path, monkeypatch):
    # the encoder choice is under test, not the grid: one setting, no fine-tuning (minutes on 2 cores)
    monkeypatch.setattr(TextContent, "search_space", classmethod(lambda cls: [{}]))
    out = tmp_path / "r.json"
    code, output = run_main("evaluate", "--split-dir", str(caixin_slice), "--models", "pop,text", "--out", str(out))
    assert code == 0, output
    assert "mostly 'zh'" in output and "use-multilingual" in output
    details = json.loads(out.with_suffix(".details.json").read_text())
    assert details["text_language"]["language"] == "zh" and details["encoder"] == "use-multilingual"
    assert json.loads(out.read_text())["text"]["params"]["text_model"] == "use-multilingual"
    code, output = run_main("train", "--split-dir", str(caixin_slice), "--model", "text", "--out", str(tmp_path / "b"))
    assert code == 0, output
    code, output = run_main("recommend", "--query", "stock market and banks", "-k", "5", "--json",
                            "--model-dir", str(tmp_path / "b"))
    answer = json.JSONDecoder().raw_decode(output[output.index("{"):])[0]
    assert code == 0 and len(answer["items"]) == 5 and not answer["notes"]  # an English query over Chinese titles


def test_the_default_template_reads_a_combined_column_once():
    import pandas as pd

    from llm4rec.data.catalog import ItemCatalog
    from llm4rec.data.ids import IdMap
    from llm4rec.data.report import LoadReport
    from llm4rec.text.templates import ItemTextTemplate

    raw = pd.DataFrame({"item_id": ["a", "b"], "title": ["Red Pen", "Stapler"], "brand": ["Bic", "Acme"],
                        "text": ["Red Pen by Bic", "A heavy-duty office tool"]})
    catalog = ItemCatalog.from_raw(raw.astype(str), "items.tsv", LoadReport())
    texts = ItemTextTemplate().render(catalog, IdMap(["a", "b"]))
    assert texts[0] == "text: Red Pen by Bic"  # title and brand are inside text: read once
    assert texts[1] == "title: Stapler. brand: Acme. text: A heavy-duty office tool"  # nothing repeated: all kept


@pytest.mark.parametrize(("dataset", "query", "relevant"), [
    ("ml-100k-loo", "太空科幻冒险电影", lambda row: "Sci-Fi" in row["genres"]),
    ("ml-100k-loo", "a western with cowboys", lambda row: "Western" in row["genres"]),
    ("caixin-news-loo", "马航失联客机", lambda row: any(w in row["title"] for w in ("马航", "MH370", "客机", "失联"))),
    ("caixin-news-loo", "the missing Malaysia Airlines plane",
     lambda row: any(w in row["title"] for w in ("马航", "MH370", "客机", "失联"))),
])
def test_labelled_queries_find_their_topic_across_languages(shared_data, dataset, query, relevant):
    """A few of benchmarks/queries/labelled_queries.json: 3 or more of the top 5 relevant."""
    split, _ = read_split_dir(shared_data / dataset)
    vectors = text_vectors(split.catalog, split.train.items, "use-multilingual", None, "query")
    scores = vectors @ TextEncoder("use-multilingual", show_progress=False).encode([query])[0]
    rows = split.catalog.aligned(split.train.items).astype(object).fillna("").astype(str).iloc[np.argsort(-scores)[:5]]
    assert sum(relevant(row) for _, row in rows.iterrows()) >= 3, rows
