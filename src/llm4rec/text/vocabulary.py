"""Known category words in other languages, from a small checked-in table: MovieLens genres and
common shop categories. A word the table lacks is shown as it is, never mangled."""

from __future__ import annotations

ZH = {
    # MovieLens genres (ml-100k and ml-latest)
    "Action": "动作", "Adventure": "冒险", "Animation": "动画", "Children": "儿童", "Children's": "儿童",
    "Comedy": "喜剧", "Crime": "犯罪", "Documentary": "纪录片", "Drama": "剧情", "Fantasy": "奇幻",
    "Film-Noir": "黑色电影", "Horror": "恐怖", "IMAX": "IMAX", "Musical": "歌舞", "Mystery": "悬疑",
    "Romance": "爱情", "Sci-Fi": "科幻", "Thriller": "惊悚", "War": "战争", "Western": "西部",
    "unknown": "未知", "(no genres listed)": "无类型",
    # common shop categories
    "Office Products": "办公用品", "Office & School Supplies": "办公及学习用品", "Books": "图书",
    "Electronics": "电子产品", "Clothing": "服装", "Home & Kitchen": "家居厨房", "Toys & Games": "玩具游戏",
    "Sports & Outdoors": "运动户外", "Beauty": "美妆", "Music": "音乐", "Movies & TV": "影视",
    "Paper": "纸品", "Writing & Correction Supplies": "书写修正用品", "Ink & Toner": "墨盒硒鼓",
}
TABLES = {"zh": ZH}


def translate(word: str, language: str) -> str:
    """`word` in `language` when the table knows it, else unchanged."""
    return TABLES.get(language, {}).get(word, word)
