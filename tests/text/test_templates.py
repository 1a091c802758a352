"""Item text from catalogue fields."""

import pandas as pd

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.ids import IdMap
from llm4rec.data.report import LoadReport
from llm4rec.text.templates import ItemTextTemplate


def _catalog():
    raw = pd.DataFrame({"item_id": ["1", "2"], "title": ["Toy Story", "Heat"], "year": ["1995", ""],
                        "genres": ["Animation|Comedy", "Crime"]})
    return ItemCatalog.from_raw(raw, "items.tsv", LoadReport())


def test_default_template_labels_every_column():
    texts = ItemTextTemplate().render(_catalog(), IdMap(["1", "2", "3"]))
    assert texts == ["title: Toy Story. year: 1995. genres: Animation, Comedy", "title: Heat. genres: Crime", ""]


def test_custom_template():
    texts = ItemTextTemplate("{title} ({year}): {genres}").render(_catalog(), IdMap(["1"]))
    assert texts == ["Toy Story (1995): Animation, Comedy"]
