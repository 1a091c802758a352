"""A readable profile written by a language model from the profile's facts, checked like an
explanation (`explain.wording`).

The model writes one short sentence per fact (the liked themes, a recent shift, the disliked
themes, the era), guided: each sentence opens with words that fix the fact's side ("This user",
"They" before the less-liked themes), and decodes by whole words only that fact's values and a
small frame of words for its side (no negative word in a liked sentence, no "more" in a disliked
one), so a small model chooses the order and the phrasing but cannot move a theme to the other
side. The sentences are then checked together: every word, category and title must be in the
facts, nothing loops, the user's main theme is named, every clause states a fact, no theme
changes side, and the liked themes come in the order of their share. One failing sentence sends
the whole profile back to the template."""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from llm4rec.explain.wording import FRAME_WORDS, LanguageModel, TitleCheck, words
from llm4rec.profiles.summary import SUMMARY_OTHERS, SUMMARY_TOP

PROFILE_SYSTEM = "You write one short sentence about a person's taste, stating the fact given and adding nothing."
JOINING = frozenset(["and", "also", "then", "as", "well", "too", "especially", "or"])
# The words each kind of sentence may use beyond the fact's own values.
LIKED_FRAME = JOINING | {"mostly", "mainly", "often", "enjoys", "likes", "prefers", "chooses", "watches", "above",
                         "all", "films", "movies"}
SHIFT_FRAME = JOINING | {"lately", "recently", "they", "have", "has", "been", "chosen", "choosing", "chose",
                         "watching", "more", "moved", "toward", "towards"}
DISLIKED_FRAME = JOINING | {"they", "are", "is", "less", "keen", "on", "rarely", "choose", "chooses", "not", "so",
                            "much", "into"}
ERA_FRAME = JOINING | {"most", "mostly", "of", "what", "they", "choose", "is", "from", "between", "around", "to",
                       "the", "years"}
# Everything a written profile may say beyond its facts: the frames above and a description's words.
PROFILE_WORDS = FRAME_WORDS | LIKED_FRAME | SHIFT_FRAME | DISLIKED_FRAME | ERA_FRAME | frozenset([
    "user", "person", "usually", "typically", "now", "keen", "not", "taste", "tastes", "favourite", "favourites",
    "genres", "genre", "themes", "interest", "interests", "shifted", "median", "about", "era", "keywords",
    "words", "avoids", "does", "doesn't", "don't", "rather",
])
NEGATIVE = frozenset(["less", "not", "avoids", "doesn't", "don't", "rarely", "fewer", "never", "dislikes"])
KEEP_REJECTED = 20
CLAUSE = re.compile(r"[.;]|\bbut\b|\bwhile\b|\bwhereas\b|,? and (?=is|are|has|they)\b")


def facts(summary: str) -> str:
    """The record a written profile is checked against: the template summary, which holds every
    fact a reply may state."""
    return f"Facts: {summary}"


@dataclass(frozen=True)
class Fact:
    """One sentence to write: the fact as the prompt states it, how the sentence opens, the
    values it may name and the frame words of its side."""

    statement: str
    opening: str
    values: str
    frame: frozenset[str]


def fact_sentences(profile: dict[str, Any]) -> list[Fact]:
    """The facts of `profile` a written description states, in the template's order: the liked
    themes (as many as the template names), a recent shift and the disliked themes (as many as it
    names) of each column, then the era."""
    found = []
    for key, entries in profile.items():
        names = [e["value"] for e in entries] if key.startswith(("top_", "recent_shift_", "disliked_")) else []
        if key.startswith("top_") and names:
            found.append(Fact(f"The user mostly chooses {', then '.join(names[:SUMMARY_TOP])}.", "This user",
                              " ".join(names[:SUMMARY_TOP]), LIKED_FRAME))
        elif key.startswith("recent_shift_") and names:
            found.append(Fact(f"Lately the user chooses more {' and '.join(names[:SUMMARY_OTHERS])}.",
                              "Lately they have chosen more", " ".join(names[:SUMMARY_OTHERS]), SHIFT_FRAME))
        elif key.startswith("disliked_") and names:
            found.append(Fact(f"The user is less keen on {' and '.join(names[:SUMMARY_OTHERS])}.", "They",
                              " ".join(names[:SUMMARY_OTHERS]), DISLIKED_FRAME))
    if era := profile.get("typical_era"):
        low, high = era["range_10_90"]
        years = f"{low} to {high}" if low != high else str(low)
        found.append(Fact(f"Most of what the user chooses is from {years}.", "Most of what they choose is from",
                          years, ERA_FRAME))
    return found


def themes(profile: dict[str, Any], side: str) -> set[str]:
    """The values of the profile's `side` lists ("top_" liked, "disliked_"), lowercased."""
    return {e["value"].lower() for key, entries in profile.items() if key.startswith(side) for e in entries}


def clause_problems(text: str, profile: dict[str, Any]) -> list[str]:
    """Per clause: a theme said on the wrong side (a disliked one without a negative word, a
    liked one with one; themes on both lists are left alone), a negation about no disliked theme
    ("less keen on Drama and 1997"), a clause of three words or more that states no fact of the profile
    (no theme, no number: "a movie person"); and the whole must name the user's main theme."""
    liked, disliked = themes(profile, "top_"), themes(profile, "disliked_")
    facts_named = liked | disliked | themes(profile, "recent_shift_")
    found = []
    for clause in CLAUSE.split(text.lower()):
        said = words(clause)
        negative = bool(said & NEGATIVE)
        named = {value for value in facts_named if re.search(rf"(?<!\w){re.escape(value)}(?!\w)", clause)}
        for value in named & ((liked - disliked) if negative else (disliked - liked)):
            found.append(f"a {'liked' if negative else 'disliked'} theme said to be "
                         f"{'disliked' if negative else 'liked'}: {value}")
        if negative and (not named & disliked or re.search(r"\d", clause)):
            found.append(f"a negation about something other than a disliked theme: {clause.strip()}")
        elif len(said) >= 3 and not named and not re.search(r"\d", clause):
            found.append(f"a clause that states no fact: {clause.strip()}")
    main = profile.get(next((key for key in profile if key.startswith("top_")), ""), [])
    if main and _place(main[0]["value"].lower(), text.lower()) < 0:
        found.append(f"the main theme is not named: {main[0]['value']}")
    return found + order_problems(text, profile)


def order_problems(text: str, profile: dict[str, Any]) -> list[str]:
    """In the sentence that names the user's main theme, the liked themes come in the order of
    their share: a list reads as a ranking ("Action, then Thriller, then Drama" puts Action first)."""
    found = []
    for key, entries in profile.items():
        if not key.startswith("top_") or not entries:
            continue
        values = [e["value"].lower() for e in entries]
        sentence = next((s for s in re.split(r"[.;]", text.lower()) if _place(values[0], s) >= 0), "")
        ranks = [rank for _, rank in sorted((_place(v, sentence), rank) for rank, v in enumerate(values)
                                            if _place(v, sentence) >= 0)]
        if ranks != sorted(ranks):
            found.append(f"liked themes out of order: {', '.join(entries[r]['value'] for r in ranks)}")
    return found


def _place(value: str, text: str) -> int:
    """Where `value` first stands as a whole word in `text`, -1 if nowhere."""
    match = re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text)
    return match.start() if match else -1


class CheckedProfile:
    """Rewrites template profile summaries with a language model, keeping count of what passed."""

    def __init__(self, model: LanguageModel, check: TitleCheck) -> None:
        self.model, self.check = model, check
        self.generated = self.passed = 0
        self.seconds = 0.0
        self.reasons: Counter = Counter()  # why replies were refused, by kind
        self.rejected: list[dict[str, Any]] = []  # the first few refused replies, with their problems

    def problems(self, text: str, summary: str, profile: dict[str, Any]) -> list[str]:
        """Why `text` may not replace `summary` (empty: it may)."""
        if not text:
            return ["empty"]
        record = facts(summary)
        attributes = sorted(themes(profile, "top_") | themes(profile, "disliked_") | themes(profile, "recent_shift_"))
        return self.check.unsupported(text, profile.get("recent_items", []), attributes, record, PROFILE_WORDS) + \
            clause_problems(text, profile)

    def __call__(self, profile: dict[str, Any], summary: str) -> tuple[str, bool]:
        """(the model's description if it passes, else `summary`; whether it passed)."""
        if not (to_write := fact_sentences(profile)):
            return summary, False  # nothing to state: the template says there is not enough history
        started = time.perf_counter()
        sentences = [self.model.complete(PROFILE_SYSTEM, f"Fact: {fact.statement}", fact.opening,
                                         vocabulary=fact.values, frame=fact.frame) for fact in to_write]
        text = "" if not all(sentences) else " ".join(s if s.endswith(".") else s + "." for s in sentences)
        problems = self.problems(text, summary, profile)
        self.seconds += time.perf_counter() - started
        self.generated += 1
        self.passed += not problems
        self.reasons.update(p.split(":")[0] for p in problems)
        if problems and len(self.rejected) < KEEP_REJECTED:
            self.rejected.append({"reply": " | ".join(sentences), "problems": problems})
        return (summary, False) if problems else (text, True)

    def summary(self) -> str:
        return (f"{self.passed} of {self.generated} written profiles passed the check "
                f"({self.seconds / max(self.generated, 1):.2f} s each); the others keep the template summary")
