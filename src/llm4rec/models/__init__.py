"""Recommender implementations behind one protocol (`Recommender`)."""

from llm4rec.models.base import ModelConfig, Recommender
from llm4rec.models.registry import MODELS, create_model, load_model

__all__ = ["MODELS", "ModelConfig", "Recommender", "create_model", "load_model"]
