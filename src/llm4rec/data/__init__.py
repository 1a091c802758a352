"""Loading, validating, representing and splitting interaction data and item catalogues."""

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.dataset import Dataset
from llm4rec.data.ids import IdMap
from llm4rec.data.interactions import Interactions
from llm4rec.data.report import LoadReport
from llm4rec.data.splits import Split

__all__ = ["Dataset", "IdMap", "Interactions", "ItemCatalog", "LoadReport", "Split"]
