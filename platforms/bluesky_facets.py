"""Bluesky rich text: the facets that make links, mentions and hashtags live.

Bluesky does not parse a post's text: a link is only clickable, a mention only notifies
and a tag only searchable if the record carries an ``app.bsky.richtext.facet`` for it,
with the span given in UTF-8 *bytes* (``index.byteStart`` inclusive, ``byteEnd``
exclusive). The patterns follow the reference client's (``@atproto/api``
``rich-text/util.ts``), narrowed to what we post: links must say ``http(s)://`` (a bare
``example.com`` stays text), and cashtags are left out.

The 300 limit of a post is in grapheme clusters (``\\X``): 👩‍👩‍👧 is one, as are a
letter and its combining accents.
"""

from collections.abc import Awaitable, Callable
from typing import Any

import regex

from core.text_length import grapheme_length

MAX_GRAPHEMES = 300
MAX_TAG_GRAPHEMES = 64
FACET = "app.bsky.richtext.facet"

# A link starts a word (or follows an opening parenthesis) and runs to the next space.
_LINK = regex.compile(r"(?:^|(?<=[\s(]))https?://\S+", regex.IGNORECASE)
# A mention is @ and a handle-looking run, at the start of a word.
_MENTION = regex.compile(r"(?:^|(?<=[\s(]))@([a-zA-Z0-9.-]+)\b")
# com.atproto handle syntax: dot-separated labels, the last one not starting with a digit.
_HANDLE = regex.compile(
    r"^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+"
    r"[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$"
)
# Zero-width and soft characters end a tag as a space would.
_INVISIBLE = "\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"
# A tag needs one character that is neither a digit nor punctuation (#2024 is no tag).
_TAG = regex.compile(
    rf"(?:^|(?<=\s))[#＃]((?!\ufe0f)[^\s{_INVISIBLE}]*[^\d\s\p{{P}}{_INVISIBLE}]+[^\s{_INVISIBLE}]*)"
)
_TRAILING_PUNCTUATION = regex.compile(r"\p{P}+$")
# Sentence punctuation after a link belongs to the sentence (the reference client's set).
_LINK_TAIL = ".,;:!?"

Resolve = Callable[[str], Awaitable[str | None]]


async def facets(text: str, resolve: Resolve) -> list[dict[str, Any]]:
    """Facets for the links, mentions and tags of ``text``, in text order.

    ``resolve`` turns a handle into its DID (None when it resolves to nothing); a
    mention of a handle that does not resolve gets no facet and stays plain text.
    """
    found: list[tuple[int, int, dict[str, Any]]] = []
    found += _links(text)
    found += await _mentions(text, resolve)
    found += _tags(text)
    return [_facet(text, start, end, feature) for start, end, feature in _without_overlaps(found)]


def _links(text: str) -> list[tuple[int, int, dict[str, Any]]]:
    spans = []
    for match in _LINK.finditer(text):
        uri = _trim_link(match.group(0))
        spans.append(
            (match.start(), match.start() + len(uri), {"$type": f"{FACET}#link", "uri": uri})
        )
    return spans


def _trim_link(uri: str) -> str:
    while uri and (uri[-1] in _LINK_TAIL or (uri[-1] == ")" and uri.count("(") < uri.count(")"))):
        uri = uri[:-1]
    return uri


async def _mentions(text: str, resolve: Resolve) -> list[tuple[int, int, dict[str, Any]]]:
    spans = []
    dids: dict[str, str | None] = {}
    for match in _MENTION.finditer(text):
        handle = match.group(1)
        if len(handle) > 253 or not _HANDLE.match(handle):
            continue
        key = handle.lower()
        if key not in dids:
            dids[key] = await resolve(key)
        did = dids[key]
        if did:
            spans.append((match.start(), match.end(), {"$type": f"{FACET}#mention", "did": did}))
    return spans


def _tags(text: str) -> list[tuple[int, int, dict[str, Any]]]:
    spans = []
    for match in _TAG.finditer(text):
        tag = _TRAILING_PUNCTUATION.sub("", match.group(1).strip())
        if not tag or grapheme_length(tag) > MAX_TAG_GRAPHEMES:
            continue
        start = match.start()
        spans.append((start, start + 1 + len(tag), {"$type": f"{FACET}#tag", "tag": tag}))
    return spans


def _without_overlaps(
    spans: list[tuple[int, int, dict[str, Any]]],
) -> list[tuple[int, int, dict[str, Any]]]:
    # Links were found first and win: …/#anchor or …/@user inside a URL is the URL's.
    kept: list[tuple[int, int, dict[str, Any]]] = []
    for span in spans:
        if all(span[1] <= other[0] or other[1] <= span[0] for other in kept):
            kept.append(span)
    return sorted(kept, key=lambda span: span[0])


def _facet(text: str, start: int, end: int, feature: dict[str, Any]) -> dict[str, Any]:
    # Spans were found in code points; the index is in UTF-8 bytes.
    byte_start = len(text[:start].encode())
    byte_end = byte_start + len(text[start:end].encode())
    return {
        "$type": FACET,
        "index": {"byteStart": byte_start, "byteEnd": byte_end},
        "features": [feature],
    }
