"""Words of mixed Chinese and Latin text."""

from __future__ import annotations

import pytest

from llm4rec.text.segment import stands_alone


@pytest.mark.parametrize(("phrase", "text", "alone"), [
    ("heat", "you liked heat.", True),
    ("heat", "a theater classic", False),  # inside a longer word
    ("heat", "the heater and heat", True),  # the second occurrence stands alone
    ("heat", "因为你喜欢heat。", True),  # Chinese neighbours are no word boundary to wait for
    ("heat", "heat_wave", False),  # an underscore is a word character
    ("star wars", "star wars", True),
    ("heat", "", False),
])
def test_a_phrase_stands_alone_unless_a_latin_word_character_touches_it(phrase, text, alone):
    assert stands_alone(phrase, text) is alone
