"""Checks shipped with the library that every model, including later ones, passes."""

from llm4rec.testing.common import check_recommender

__all__ = ["check_recommender"]
