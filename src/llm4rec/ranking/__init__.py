"""Fusion of scores from several sources (models, text queries, profiles)."""
