"""A readable profile written by a language model from the template's facts, checked like an
explanation (`explain.wording`): the model is guided (its reply opens "This user mostly enjoys"
and decodes only the facts' tokens and a small frame), and the reply is kept only if every word,
category and title is in the facts, nothing loops, it names the user's main theme, every clause
states a fact, and no theme changes side (a theme the user is less keen on is never said to be
liked, nor a liked one disliked). Otherwise the template stays."""

from __future__ import annotations

import re
import time
from collections import Counter
from typing import Any

from llm4rec.explain.wording import FRAME_WORDS, LanguageModel, TitleCheck, words

PROFILE_SYSTEM = ("You describe a person's taste in one or two short sentences, using only the facts given and "
                  "adding nothing. Example. Facts: Mostly Comedy (40 %), Drama (20 %); less keen on Horror. "
                  "Answer: This user mostly enjoys Comedy and Drama, and is less keen on Horror.")
OPENING = "This user mostly enjoys"
# The frame of a description of taste, beyond FRAME_WORDS; no praise, no new themes.
PROFILE_WORDS = FRAME_WORDS | frozenset([
    "user", "person", "mostly", "mainly", "often", "usually", "typically", "especially", "lately", "recently",
    "now", "keen", "less", "not", "enjoys", "prefers", "likes", "watches", "reads", "buys", "chooses", "taste",
    "tastes", "favourite", "favourites", "genres", "genre", "themes", "interest", "interests", "shifted",
    "toward", "towards", "moving", "median", "around", "about", "between", "era", "keywords", "words", "avoids",
    "has", "have", "had", "does", "doesn't", "don't", "rather",
])
NEGATIVE = frozenset(["less", "not", "avoids", "doesn't", "don't", "rarely", "fewer", "never", "dislikes"])
KEEP_REJECTED = 20
CLAUSE = re.compile(r"[.;]|\bbut\b|\bwhile\b|\bwhereas\b|,? and (?=is|are|has|they)\b")


def facts(summary: str) -> str:
    """The user message: the template summary, which holds every fact a reply may state."""
    return f"Facts: {summary}"


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
    if main and not re.search(rf"(?<!\w){re.escape(main[0]['value'].lower())}(?!\w)", text.lower()):
        found.append(f"the main theme is not named: {main[0]['value']}")
    return found


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
        started = time.perf_counter()
        vocabulary = facts(summary) + " " + " ".join(sorted(PROFILE_WORDS))
        text = self.model.complete(PROFILE_SYSTEM, facts(summary), OPENING, vocabulary=vocabulary)
        problems = self.problems(text, summary, profile)
        self.seconds += time.perf_counter() - started
        self.generated += 1
        self.passed += not problems
        self.reasons.update(p.split(":")[0] for p in problems)
        if problems and len(self.rejected) < KEEP_REJECTED:
            self.rejected.append({"reply": text, "problems": problems})
        return (summary, False) if problems else (text, True)

    def summary(self) -> str:
        return (f"{self.passed} of {self.generated} written profiles passed the check "
                f"({self.seconds / max(self.generated, 1):.2f} s each); the others keep the template summary")
