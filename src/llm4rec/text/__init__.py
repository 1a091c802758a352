"""Item and user text -> embeddings with a pretrained sentence encoder, cached on disk."""

from llm4rec.text.encoder import TextEncoder
from llm4rec.text.templates import ItemTextTemplate

__all__ = ["ItemTextTemplate", "TextEncoder"]
