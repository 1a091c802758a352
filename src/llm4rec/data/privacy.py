"""Privacy in the data layer: keyed pseudonyms for user ids, and PII scrubbing of free text."""

from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import Path

from llm4rec.data.ids import IdMap
from llm4rec.data.interactions import Interactions
from llm4rec.data.splits import Split
from llm4rec.errors import ConfigError

KEY_VARIABLE = "LLM4REC_PSEUDONYM_KEY"

# Each pattern replaced by a bracketed tag. Not caught: postal addresses, names, ids written
# out in words, numbers split across lines, phone numbers shorter than seven digits.
PII_PATTERNS = [
    ("[email]", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")),
    ("[url]", re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)),
    ("[card]", re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")),
    ("[phone]", re.compile(r"(?<![\w+(])[+(]?(?:\d[\s.()-]{0,2}){6,14}\d(?!\w)")),
]


def _luhn(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(int(d) for d in reversed(digits)):
        doubled = digit * 2 if position % 2 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


def scrub_pii(text: str) -> str:
    """Text with e-mail addresses, URLs, card numbers (Luhn-valid) and phone numbers
    replaced by [email], [url], [card] and [phone]."""
    for tag, pattern in PII_PATTERNS:
        if tag == "[card]":
            text = pattern.sub(lambda m, tag=tag: tag if _luhn(re.sub(r"\D", "", m.group())) else m.group(), text)
        else:
            text = pattern.sub(tag, text)
    return text


def pseudonym_key(key_file: Path | None = None) -> bytes:
    """The HMAC key: from `key_file`, else from $LLM4REC_PSEUDONYM_KEY; never a default."""
    from llm4rec.settings import settings

    configured = settings().pseudonym_key
    key = Path(key_file).read_text().strip() if key_file is not None else (
        configured.get_secret_value() if configured is not None else "")
    if len(key) < 16:
        raise ConfigError(f"Pseudonymising needs a secret key of at least 16 characters in ${KEY_VARIABLE} or a "
                          "key file (for example `python -c 'import secrets; print(secrets.token_hex(32))'`).")
    return key.encode()


def pseudonym(user_id: str, key: bytes) -> str:
    return "p" + hmac.new(key, str(user_id).encode(), hashlib.sha256).hexdigest()[:20]


def pseudonymize_split(split: Split, key: bytes) -> Split:
    """The same split with every user id replaced by its keyed hash; no mapping is kept."""
    users = IdMap([pseudonym(u, key) for u in split.train.users.ids])
    if len(users) != len(split.train.users):
        raise ConfigError("Two user ids hash to the same pseudonym; use a different key")
    order = IdMap(sorted(users.ids))
    remap = order.indices(users.ids)

    def renamed(part: Interactions) -> Interactions:
        return Interactions(order, part.items, remap[part.user_index].astype(part.user_index.dtype),
                            part.item_index, part.timestamps, part.ratings, part.weights)

    return Split(renamed(split.train), renamed(split.valid), renamed(split.test), split.catalog,
                 split.protocol + ", user ids pseudonymised", split.name)
