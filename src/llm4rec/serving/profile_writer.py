"""The service's language model for written profiles (`serve --llm`, `?written=true`): loaded
once at start-up, one generation at a time, checked like the CLI's (`profiles.wording`)."""

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

        self.model = language_model(None if spec == "default" else spec)
        self.lock = Lock()
        self.checks: dict[str, Any] = {}  # the claim check of the bundle version served last, by version

    def for_bundle(self, served: ServedModel) -> Callable[[dict[str, Any], str], tuple[str, bool]]:
        """The `wording` callable of `ServedModel.profile` for this bundle version."""
        from llm4rec.explain.wording import TitleCheck
        from llm4rec.profiles.wording import CheckedProfile

        if served.version not in self.checks:
            bundle = served.bundle
            self.checks = {served.version: TitleCheck.for_catalog(bundle.catalog, bundle.interactions.items)}
        wording = CheckedProfile(self.model, self.checks[served.version])

        def write(profile: dict[str, Any], summary: str) -> tuple[str, bool]:
            try:
                with self.lock:
                    return wording(profile, summary)
            except Exception as error:  # the model's own failure: the template is still an answer
                log.warning("the profile writer failed (%s); answering with the template", type(error).__name__)
                return summary, False

        return write
