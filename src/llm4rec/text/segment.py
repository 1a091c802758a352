"""Words of text that may hold Chinese: jieba segments the runs of Chinese characters, the rest
splits on non-word characters. Used where words matter: profile keywords and the claim check of
worded explanations."""

from __future__ import annotations

import re

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs: extension A, unified, compatibility
CJK = re.compile(f"[{HAN}]")
CJK_RUN = re.compile(f"[{HAN}]+")
LATIN_WORD = re.compile(rf"[^\W{HAN}]")  # a word character other than a Chinese one (Chinese has no spaces)


def stands_alone(phrase: str, text: str) -> bool:
    """Whether `phrase` occurs in `text` other than inside a longer word; next to a Chinese
    character counts as alone, since Chinese puts no spaces between words. Found with str.find
    and one precompiled character class: a lookaround regex per phrase costs about 3 ms to
    compile (the class spans the CJK ranges), which over a catalogue's titles made each checked
    explanation take seconds."""
    start = text.find(phrase)
    while start >= 0:
        end = start + len(phrase)
        if not (start and LATIN_WORD.match(text, start - 1)) and not LATIN_WORD.match(text, end):
            return True
        start = text.find(phrase, start + 1)
    return False


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
