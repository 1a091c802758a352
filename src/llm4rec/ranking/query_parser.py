"""Structure in a text query: categories wanted or refused ("a comedy, but nothing animated and
nothing for children"), year ranges ("after 2000", "90年代"), a price ceiling ("under $20") and
"similar to TITLE", in English and Chinese. Rules, not a language model: every constraint they
find can be shown to the user and checked against the catalogue.

Refused categories and ranges are hard filters; wanted categories and named titles are soft
preferences blended into the text-and-profile scores. Words the catalogue's vocabulary does not
have are left in the text the encoder reads.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.ids import IdMap
from llm4rec.profiles.summary import item_years

# words that name a category value, per value as MovieLens and shop catalogues spell it
SYNONYMS = {
    "Animation": ("animated", "animation", "cartoon", "cartoons", "动画", "卡通"),
    "Children's": ("children", "children's", "kids", "kid", "family", "儿童", "孩子", "小孩"),
    "Children": ("children", "kids", "kid", "family", "儿童", "孩子", "小孩"),
    "Comedy": ("comedy", "comedies", "funny", "喜剧", "搞笑"),
    "Horror": ("horror", "scary", "恐怖", "吓人"),
    "Romance": ("romance", "romantic", "love story", "爱情", "浪漫"),
    "Sci-Fi": ("sci-fi", "science fiction", "space", "科幻", "太空"),
    "War": ("war", "战争"),
    "Western": ("western", "westerns", "cowboy", "cowboys", "西部"),
    "Documentary": ("documentary", "documentaries", "纪录片"),
    "Musical": ("musical", "musicals", "歌舞"),
    "Crime": ("crime", "gangster", "gangsters", "犯罪", "黑帮"),
    "Thriller": ("thriller", "thrillers", "惊悚"),
    "Action": ("action", "动作"),
    "Adventure": ("adventure", "adventures", "冒险"),
    "Drama": ("drama", "dramas", "剧情"),
    "Mystery": ("mystery", "悬疑"),
    "Fantasy": ("fantasy", "奇幻"),
    "Film-Noir": ("film noir", "noir", "黑色电影"),
}
NEGATION = re.compile(r"\b(?:no|not|nothing|without|except|never|avoid|but not)\b|不要|不是|别|除了|不看|没有")
CLAUSES = re.compile(r"([,;.!?，；。！？]|\band\b|\bbut\b|\bor\b|但是|但|而且|并且|和|或)", re.IGNORECASE)
CARRIES_NEGATION = {"or", "或"}  # "without sci-fi or fantasy": the second is refused too
YEAR_RULES = [  # (pattern, kind): "after 2000" starts at 2001, "2000年以后" at 2000; likewise for the end
    (re.compile(r"(?:nothing|not|no\s+\w+)\s+before\s+(\d{4})"), "from"),
    (re.compile(r"(?:nothing|not|no\s+\w+)\s+after\s+(\d{4})"), "until"),
    (re.compile(r"(?<!nothing )(?<!not )(?:after|since|newer than|later than)\s+(\d{4})"), "after"),
    (re.compile(r"(\d{4})\s*年?(?:以后|之后|后)"), "from"),
    (re.compile(r"(?<!nothing )(?<!not )(?:before|older than|earlier than)\s+(\d{4})"), "before"),
    (re.compile(r"(\d{4})\s*年?(?:以前|之前|前)"), "until"),
]
DECADE = re.compile(r"(?:the\s+)?(?:(19|20)?(\d)0)'?s\b|(\d{2})年代")
BETWEEN = re.compile(r"between\s+(\d{4})\s+and\s+(\d{4})|(\d{4})\s*(?:-|–|to|到|至)\s*(\d{4})")
PRICE = re.compile(r"(?:under|below|less than|cheaper than|at most)\s*\$?\s*(\d+(?:\.\d+)?)"
                   r"|(\d+(?:\.\d+)?)\s*元以(?:下|内)")
SIMILAR = re.compile(r"(?:similar to|like|as good as)\s+(.+)|像《?(.+?)》?(?:一样|那样|的)")


@dataclass
class QueryConstraints:
    """What a query asks for beyond its words: shown to the user beside the list."""

    text: str  # the query without the parts turned into constraints: what the encoder reads
    include: list[str] = field(default_factory=list)  # category values preferred
    exclude: list[str] = field(default_factory=list)  # category values refused
    year_min: int | None = None
    year_max: int | None = None
    price_max: float | None = None
    similar_to: list[str] = field(default_factory=list)  # item ids named by their titles

    def as_json(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in (None, [], "")}

    @property
    def empty(self) -> bool:
        return not (self.include or self.exclude or self.similar_to or self.price_max is not None
                    or self.year_min is not None or self.year_max is not None)


def category_columns(catalog: ItemCatalog | None) -> list[str]:
    """The catalogue's categorical columns: `|`-separated lists (genres), or named as categories."""
    if catalog is None:
        return []
    return [column for column in catalog.text_columns
            if column in ("genres", "category", "categories", "brand")
            or catalog.frame[column].dropna().astype(str).str.contains("|", regex=False).any()]


def category_values(catalog: ItemCatalog | None) -> dict[str, set[str]]:
    """Each categorical column's values (genres split on `|`): what a query can name."""
    return {column: {v.strip() for cell in catalog.frame[column].dropna().astype(str) for v in cell.split("|")
                     if v.strip()} for column in category_columns(catalog)}


def parse_query(query: str, catalog: ItemCatalog | None, items: IdMap) -> QueryConstraints:
    """The constraints in `query` that this catalogue can check."""
    lowered = query.lower()
    constraints = QueryConstraints(text=query)
    known = set().union(*category_values(catalog).values()) if catalog is not None else set()
    kept, parts, negating = [], CLAUSES.split(query), False
    for clause, separator in zip(parts[::2], [*parts[1::2], ""], strict=True):
        cue = NEGATION.search(clause.lower())
        wanted, refused = (clause, "") if cue is None else (clause[:cue.start()], clause[cue.start():])
        if negating and cue is None:  # carried over from "without X or ..."
            wanted, refused = "", clause
        for part, target in ((wanted, constraints.include), (refused, constraints.exclude)):
            for value in _named_values(part.lower(), known):
                if value not in target:
                    target.append(value)
        kept.append(wanted.strip())  # what is refused is a filter, not words for the encoder to look for
        negating = bool(refused) and separator.lower().strip() in CARRIES_NEGATION
    constraints.text = " ".join(part for part in kept if part) or query
    constraints.include = [v for v in constraints.include if v not in constraints.exclude]
    _years(lowered, constraints)
    if catalog is not None and "price" in catalog.numeric_columns:
        match = PRICE.search(lowered)
        if match:
            constraints.price_max = float(match.group(1) or match.group(2))
    constraints.similar_to = _named_titles(lowered, catalog, items)
    return constraints


def allowed(constraints: QueryConstraints, catalog: ItemCatalog | None, items: IdMap) -> np.ndarray:
    """(n_items,) bool: items that meet every hard constraint (refused values, ranges)."""
    keep = np.ones(len(items), dtype=bool)
    if catalog is None:
        return keep
    rows = catalog.aligned(items)
    if constraints.exclude:
        keep &= ~_has_any(rows, constraints.exclude, catalog)
    if constraints.year_min is not None or constraints.year_max is not None:
        years = item_years(rows)
        low = constraints.year_min if constraints.year_min is not None else -np.inf
        high = constraints.year_max if constraints.year_max is not None else np.inf
        keep &= (years >= low) & (years <= high)  # an item of unknown year is not known to match
    if constraints.price_max is not None:
        keep &= rows["price"].to_numpy(dtype=float) <= constraints.price_max
    return keep


def preferred(constraints: QueryConstraints, catalog: ItemCatalog | None, items: IdMap) -> np.ndarray:
    """(n_items,) share of the wanted category values each item has (0 without any wanted)."""
    if catalog is None or not constraints.include:
        return np.zeros(len(items))
    rows = catalog.aligned(items)
    return np.mean([_has_any(rows, [value], catalog) for value in constraints.include], axis=0)


def _has_any(rows: pd.DataFrame, values: list[str], catalog: ItemCatalog) -> np.ndarray:
    found = np.zeros(len(rows), dtype=bool)
    for column in category_columns(catalog):  # column names only: the values are not needed here
        cells = rows[column].fillna("").astype(str).str.split("|")
        found |= cells.apply(lambda parts: any(p.strip() in values for p in parts)).to_numpy()
    return found


def _named_values(clause: str, known: set[str]) -> list[str]:
    named = []
    for value in known:
        words = SYNONYMS.get(value, ()) + (value.lower(),)
        if any(re.search(rf"(?<![a-z]){re.escape(w)}(?![a-z])", clause) if w.isascii() else w in clause
               for w in words):
            named.append(value)
    return sorted(named)


def _years(query: str, constraints: QueryConstraints) -> None:
    match = BETWEEN.search(query)
    if match:
        first, second = (int(g) for g in match.groups() if g)
        constraints.year_min, constraints.year_max = min(first, second), max(first, second)
        return
    for pattern, kind in YEAR_RULES:
        found = pattern.search(query)
        if found and (constraints.year_min if kind in ("after", "from") else constraints.year_max) is None:
            year = int(found.group(1))
            if kind in ("after", "from"):
                constraints.year_min = year + (kind == "after")
            else:
                constraints.year_max = year - (kind == "before")
    decade = DECADE.search(query)
    if decade and constraints.year_min is None and constraints.year_max is None:
        century, digit, chinese = decade.groups()
        if century:  # "1990s"
            start = int(century) * 100 + int(digit) * 10
        else:  # "the 90s", "90年代": the 1900s from the twenties, else the 2000s
            short = int(chinese) if chinese else int(digit) * 10
            start = (1900 if short >= 20 else 2000) + short
        constraints.year_min, constraints.year_max = start, start + 9


def _named_titles(query: str, catalog: ItemCatalog | None, items: IdMap) -> list[str]:
    """Ids of catalogue titles named after "like"/"similar to"/"像", longest first."""
    match = SIMILAR.search(query)
    if catalog is None or not match:
        return []
    wanted = (match.group(1) or match.group(2) or "").strip(" 《》\"'")
    titles = pd.Series(catalog.titles(items.ids), index=items.ids).astype(str)
    simple = titles.str.lower().str.replace(r"\s*\(\d{4}\)\s*$", "", regex=True)
    simple = simple.str.replace(r"^(.*), (the|a|an)$", r"\2 \1", regex=True)
    hits = simple[(simple.str.len() >= 3) & simple.apply(lambda title: title in wanted)]
    return hits.sort_values(key=lambda s: -s.str.len()).index[:1].tolist()
