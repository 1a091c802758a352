"""Words of text that may hold Chinese: jieba segments the runs of Chinese characters, the rest
splits on non-word characters. Used where words matter: profile keywords and the claim check of
worded explanations."""

from __future__ import annotations

import re

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs: extension A, unified, compatibility
CJK = re.compile(f"[{HAN}]")
CJK_RUN = re.compile(f"[{HAN}]+")
LATIN_WORD = rf"[^\W{HAN}]"  # a word character other than a Chinese one (Chinese has no spaces between words)


def chinese_words(text: str) -> list[str]:
    """jieba's words of `text`, in order (needs the `text` extra)."""
    from llm4rec.extras import require

    require("text", "Chinese word segmentation")
    import jieba

    jieba.setLogLevel(60)  # its dictionary-loading chatter would reach every command's output
    return jieba.lcut(text)


def word_sequence(text: str) -> list[str]:
    """Lowercased words in order: runs of Chinese characters segmented by jieba, anything else
    split as `[\\w'-]+` (so English text never loads jieba)."""
    out: list[str] = []
    position = 0
    for run in CJK_RUN.finditer(text):
        out += re.findall(r"[\w'-]+", text[position : run.start()].lower())
        out += chinese_words(run.group())
        position = run.end()
    return out + re.findall(r"[\w'-]+", text[position:].lower())
