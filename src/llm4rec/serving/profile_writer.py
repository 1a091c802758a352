"""The service's language model for written profiles (`serve --llm`, `?written=true`): loaded
once at start-up, one generation at a time, checked like the CLI's (`profiles.wording`, against
the served version's `ServedModel.title_check`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from threading import Lock
from typing import Any

from llm4rec.serving.reads import ServedModel

log = logging.getLogger("llm4rec.serving")


class ProfileWriter:
    """Writes profile summaries with one shared model. Generations are serialised: on a few
    cores two at once only slow each other. A model that fails (an endpoint down) leaves the
    template summary, logged, never an error answer."""

    def __init__(self, spec: str) -> None:
        from llm4rec.explain.wording import language_model

        self.model = language_model(spec)
        self.lock = Lock()

    def for_bundle(self, served: ServedModel) -> Callable[[dict[str, Any], str], tuple[str, bool]]:
        """The `wording` callable of `ServedModel.profile` for this bundle version."""
        from llm4rec.profiles.wording import CheckedProfile

        wording = CheckedProfile(self.model, served.title_check)

        def write(profile: dict[str, Any], summary: str) -> tuple[str, bool]:
            try:
                with self.lock:
                    return wording(profile, summary)
            except Exception as error:  # the model's own failure: the template is still an answer
                log.warning("the profile writer failed (%s); answering with the template", type(error).__name__)
                return summary, False

        return write
