"""A profile written by a language model is kept only when it says nothing the profile does not
(issue 22: a profile written in language, checked like explanations)."""

from __future__ import annotations

import pytest

from llm4rec.explain.wording import TitleCheck
from llm4rec.profiles.summary import describe
from llm4rec.profiles.wording import OPENING, CheckedProfile

PROFILE = {"history_length": 40, "recent_items": ["Star Wars (1977)"],
           "top_genres": [{"value": "Drama", "weight": 0.4}, {"value": "Comedy", "weight": 0.2}],
           "disliked_genres": [{"value": "Horror", "weight": 0.5}],
           "typical_era": {"median_year": 1994, "range_10_90": [1980, 1997]}}


class Scripted:
    """A language model that answers what the test scripts, recording how it was guided."""

    def __init__(self, *replies: str) -> None:
        self.replies, self.calls = list(replies), []

    def complete(self, system: str, user: str, opening: str = "", vocabulary: str | None = None) -> str:
        self.calls.append((user, opening, vocabulary))
        return self.replies.pop(0)


@pytest.fixture(scope="module")
def check(ml100k_loo):
    return TitleCheck.for_catalog(ml100k_loo.catalog, ml100k_loo.train.items)


def test_a_faithful_description_is_kept_and_guided(check):
    model = Scripted("This user mostly enjoys Drama and Comedy from 1980–1997, and is less keen on Horror.")
    wording = CheckedProfile(model, check)
    template = describe(PROFILE)
    text, passed = wording(PROFILE, template)
    assert passed and text.startswith("This user mostly enjoys Drama")
    user, opening, vocabulary = model.calls[0]
    assert template in user and opening == OPENING and "Horror" in vocabulary and "classic" not in vocabulary


@pytest.mark.parametrize("reply, problem", [
    ("This user mostly enjoys Drama and Horror.", "a disliked theme said to be liked: horror"),
    ("This user is less keen on Drama.", "a liked theme said to be disliked: drama"),
    ("This user mostly enjoys Drama, a classic choice.", "word the evidence does not hold: classic"),
    ("This user mostly enjoys Drama and Western.", "category not in the evidence: western"),
    ("This user mostly enjoys Drama like Fargo (1996).", "title not in the evidence: fargo"),
    ("This user mostly enjoys Drama and Comedy, mostly enjoys Drama and Comedy.", "words repeated"),
    ("This user mostly enjoys Drama, and is less keen on 1997.", "a negation about something other"),
    ("This user mostly enjoys Drama and is less keen on Horror and 1997.", "a negation about something other"),
    ("This user mostly enjoys Drama. They are a movie person.", "a clause that states no fact"),
    ("This user mostly enjoys Comedy.", "the main theme is not named: Drama"),
    ("", "empty"),
])
def test_a_description_that_adds_or_turns_a_fact_keeps_the_template(check, reply, problem):
    wording = CheckedProfile(Scripted(reply), check)
    template = describe(PROFILE)
    assert wording(PROFILE, template) == (template, False)
    assert any(p.startswith(problem) for p in wording.rejected[0]["problems"])
    assert wording.summary().startswith("0 of 1")


def test_the_served_profile_says_who_wrote_it(ml100k_loo, check, tmp_path):
    from llm4rec.models.ease import EASE
    from llm4rec.serving.bundle import Bundle
    from llm4rec.serving.reads import ServedModel

    bundle = Bundle(tmp_path, EASE(l2=150.0).fit(ml100k_loo.train), ml100k_loo.train, ml100k_loo.catalog,
                    {"version": "test"})
    served = ServedModel.build(bundle)
    assert served.profile("1")["written_by"] == "template"
    top = served.profile("1")["profile"]["top_genres"][0]["value"]
    written = served.profile("1", wording=CheckedProfile(Scripted(f"This user mostly enjoys {top}."), check))
    assert written["written_by"] == "language model" and written["summary"] == f"This user mostly enjoys {top}."
