"""User profiles (用户画像): vectors from behaviour and own text, and readable summaries."""
