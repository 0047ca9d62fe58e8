"""Bluesky facets: spans in UTF-8 bytes, checked by slicing the encoded text, across
emoji and non-Latin scripts; and the grapheme count of the 300 limit."""

from typing import Any

import pytest

from platforms.bluesky_facets import MAX_GRAPHEMES, facets, grapheme_length

DIDS = {"alice.test": "did:plc:alice", "bob.bsky.social": "did:plc:bob"}


async def resolve(handle: str) -> str | None:
    return DIDS.get(handle)


def spans(text: str, found: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    raw = text.encode()
    return [
        (raw[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode(), f["features"][0])
        for f in found
    ]


def link(uri: str) -> dict[str, str]:
    return {"$type": "app.bsky.richtext.facet#link", "uri": uri}


def tag(name: str) -> dict[str, str]:
    return {"$type": "app.bsky.richtext.facet#tag", "tag": name}


def mention(did: str) -> dict[str, str]:
    return {"$type": "app.bsky.richtext.facet#mention", "did": did}


async def test_offsets_are_utf8_bytes_across_scripts_and_emoji() -> None:
    text = "日本語 #タグ https://例え.jp/パス 🎉 @alice.test"

    found = await facets(text, resolve)

    assert spans(text, found) == [
        ("#タグ", tag("タグ")),
        ("https://例え.jp/パス", link("https://例え.jp/パス")),
        ("@alice.test", mention("did:plc:alice")),
    ]
    assert all(f["$type"] == "app.bsky.richtext.facet" for f in found)
    # "日本語 " is 10 bytes: the tag starts there, not at code point 4.
    assert found[0]["index"] == {"byteStart": 10, "byteEnd": 10 + len("#タグ".encode())}


async def test_emoji_before_a_link_shift_it_by_their_bytes() -> None:
    text = "👩‍👩‍👧 family https://example.com"
    ((start_text, _),) = spans(text, await facets(text, resolve))
    assert start_text == "https://example.com"
    assert (await facets(text, resolve))[0]["index"]["byteStart"] == len("👩‍👩‍👧 family ".encode())


@pytest.mark.parametrize(
    ("text", "uri"),
    [
        ("See https://example.com/a.", "https://example.com/a"),
        ("See https://example.com/a?!", "https://example.com/a"),
        ("(see https://example.com/a)", "https://example.com/a"),
        ("see https://en.wikipedia.org/wiki/Bach_(disambiguation))", None),
        ("http://example.com:8080/x, then", "http://example.com:8080/x"),
    ],
)
async def test_trailing_punctuation_is_not_part_of_a_link(text: str, uri: str | None) -> None:
    found = spans(text, await facets(text, resolve))
    expected = uri or "https://en.wikipedia.org/wiki/Bach_(disambiguation)"
    assert found == [(expected, link(expected))]


async def test_bare_domains_and_other_schemes_are_no_links() -> None:
    assert await facets("visit example.com or ftp://example.com", resolve) == []


async def test_a_mention_that_does_not_resolve_gets_no_facet() -> None:
    text = "hi @nobody.test and @bob.bsky.social, and me@alice.test"
    assert spans(text, await facets(text, resolve)) == [
        ("@bob.bsky.social", mention("did:plc:bob"))
    ]


async def test_handles_are_resolved_once_and_in_lower_case() -> None:
    asked: list[str] = []

    async def counting(handle: str) -> str | None:
        asked.append(handle)
        return DIDS.get(handle)

    text = "@Alice.Test @alice.test @alice"
    found = spans(text, await facets(text, counting))
    assert found == [
        ("@Alice.Test", mention("did:plc:alice")),
        ("@alice.test", mention("did:plc:alice")),
    ]
    # "@alice" has no dot: not a handle, not asked about.
    assert asked == ["alice.test"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#launch day", ["launch"]),
        ("so #good!", ["good"]),
        ("#2024 is a number, #2024goals is a tag", ["2024goals"]),
        ("＃全角 works", ["全角"]),
        ("no#tag inside words", []),
        ("#" + "a" * 64, ["a" * 64]),
        ("#" + "a" * 65, []),
        ("#️⃣ is a keycap", []),
    ],
)
async def test_hashtags(text: str, expected: list[str]) -> None:
    found = spans(text, await facets(text, resolve))
    assert [feature["tag"] for _, feature in found] == expected
    for span, feature in found:
        assert span[1:] == feature["tag"]


async def test_a_fragment_inside_a_link_is_part_of_the_link() -> None:
    text = "read https://example.com/page#section now"
    assert spans(text, await facets(text, resolve)) == [
        ("https://example.com/page#section", link("https://example.com/page#section"))
    ]


def test_graphemes_count_what_a_reader_sees() -> None:
    assert MAX_GRAPHEMES == 300
    assert grapheme_length("") == 0
    assert grapheme_length("abc") == 3
    assert grapheme_length("👩‍👩‍👧") == 1
    assert grapheme_length("e\u0301") == 1
    assert grapheme_length("🇯🇵日本") == 3
    assert grapheme_length("สวัสดี") == 4
