"""llm4rec: recommender systems in which pretrained language models do real work."""

__version__ = "0.1.0"
