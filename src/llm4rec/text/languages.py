"""Which language a catalogue's (or a query's) text is in, told by its script, and which encoders
cover it: enough to pick an encoder and to warn before an English encoder meets Chinese.

Written here rather than with a language identifier (langdetect, lingua): an encoder's coverage
follows the script, counting characters is exact for it, and short titles defeat word statistics.
Latin-script languages are not told apart (all read as "en"): for a French or German catalogue,
choose `--encoder use-multilingual` yourself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass

from llm4rec.text import multilingual

SCRIPTS = {  # a language code per script, checked in this order (kana before the ideographs they mix with)
    "ja": re.compile(r"[\u3040-\u30ff]"),
    "ko": re.compile(r"[\uac00-\ud7af\u1100-\u11ff]"),
    "zh": re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"),
    "ru": re.compile(r"[\u0400-\u04ff]"),
    "ar": re.compile(r"[\u0600-\u06ff]"),
    "th": re.compile(r"[\u0e00-\u0e7f]"),
    "en": re.compile(r"[A-Za-z\u00c0-\u024f]"),
}
COVERAGE = {"all-MiniLM-L6-v2": frozenset({"en"}), multilingual.NAME: frozenset(multilingual.LANGUAGES)}
EMPTY_WARNING = 0.5  # warn when more than this share of items has no text


@dataclass(frozen=True)
class TextLanguage:
    """The dominant language of some texts, the share of their letters in its script, and the
    share of texts that are empty."""

    language: str | None
    share: float
    empty_share: float

    def as_dict(self) -> dict:
        return asdict(self)


def detect(texts: Sequence[str]) -> TextLanguage:
    """The language whose script holds most letters of `texts` (None without letters)."""
    texts = [str(t) for t in texts]
    empty = sum(not t.strip() for t in texts) / max(len(texts), 1)
    joined = "".join(texts)
    counts = {language: len(pattern.findall(joined)) for language, pattern in SCRIPTS.items()}
    if counts["ja"]:  # Japanese mixes kana with the ideographs counted as Chinese
        counts["ja"] += counts.pop("zh")
    total = sum(counts.values())
    if not total:
        return TextLanguage(None, 0.0, round(empty, 4))
    language = max(counts, key=counts.get)
    return TextLanguage(language, round(counts[language] / total, 4), round(empty, 4))


def covers(encoder: str, language: str | None) -> bool | None:
    """Whether a named encoder covers the language (None: a local folder whose coverage is unknown)."""
    if language is None:
        return True
    known = COVERAGE.get(encoder)
    return None if known is None else language in known


def suitable_encoder(language: str | None) -> str | None:
    """The built-in encoder for text in `language`: None (the default, MiniLM) for English,
    the multilingual one for any language it covers."""
    if language is None or covers("all-MiniLM-L6-v2", language):
        return None
    return multilingual.NAME if covers(multilingual.NAME, language) else None
