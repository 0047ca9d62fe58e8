"""How each platform counts a post's length, so a long post is refused at schedule
time with the platform's own arithmetic rather than failing at publish time."""

from typing import Any

import regex
from twitter_text import parse_tweet

URL_WEIGHT = 23

# Mastodon (app/validators/status_length_validator.rb), in one pass, URLs first: a
# mention inside a URL (…/@alice) is part of the URL, as Mastodon's extractor drops
# overlapping entities.
_ENTITY = regex.compile(
    r"(?P<url>https?://[\w.-]+(?::\d+)?(?:[/?#][^\s<>\"]*)?)"
    r"|(?<![=/\w])@(?P<user>[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)(?:@\w+(?:[.-]+\w+)*)?",
    regex.IGNORECASE,
)
# Trailing punctuation ends a sentence, not a link (twitter-text's rule).
_URL_TAIL = ".,:;!?'\""


def mastodon_length(text: str) -> int:
    """The length Mastodon checks against ``max_characters``: each http(s) URL weighs
    23, a mention ``@user@domain`` counts as ``@user``, and the rest is counted in
    grapheme clusters (``each_grapheme_cluster.size``: 👩‍👩‍👧 is one)."""
    return grapheme_length(_ENTITY.sub(_countable, text))


def _countable(found: Any) -> str:
    user = found.group("user")
    if user is not None:
        return f"@{user}"
    url = str(found.group("url"))
    tail = ""
    while url and (url[-1] in _URL_TAIL or (url[-1] == ")" and url.count("(") < url.count(")"))):
        url, tail = url[:-1], url[-1] + tail
    return "x" * URL_WEIGHT + tail


def grapheme_length(text: str) -> int:
    """User-perceived characters (Bluesky's 300 is in graphemes: 👩‍👩‍👧 is one)."""
    return len(regex.findall(r"\X", text))


def code_points(text: str) -> int:
    return len(text)


def x_length(text: str) -> int:
    """X's weighted length, checked against 280: each URL weighs 23, CJK characters and
    emoji 2, most others 1 (twitter-text's own parser, as X counts)."""
    return int(parse_tweet(text).weightedLength)
