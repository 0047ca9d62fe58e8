"""Reading the words after a verb: numbers, text, keyword options and lists.

The pieces every command is built from, so each command's parser in ``grammar`` reads
like its line in DESIGN §4 and every error is worded the same way.
"""

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Literal, TypeVar

from bot.commands.errors import ParseError, quoted
from bot.commands.help import HELP
from bot.commands.tokens import Token

T = TypeVar("T")

# How a keyword's option reads: ``when`` is free words that may contain its own keyword
# ("at noon at the latest" stays one time); ``many`` may be given twice and adds up
# (``label a label b``); ``one`` may be given once.
Kind = Literal["when", "many", "one"]

KEYWORDS = frozenset({"at", "on", "label", "with", "alt", "from", "to", "since"})

EMPTY_OPTION = {
    "at": "`at` needs a time, like `at tomorrow 9am`.",
    "from": "`from` needs a time, like `from monday`.",
    "to": "`to` needs a time, like `to friday 18:00`.",
    "since": "`since` needs a time, like `since yesterday`.",
    "on": "`on` needs at least one account, like `on mastodon, bluesky`.",
    "label": "`label` needs a label, like `label launch`.",
    "with": "`with` needs a file path or URL, like `with ./photo.jpg`.",
    "alt": '`alt` needs what the image shows, like `alt "A red bicycle by a canal"`.',
}

_NUMBER = re.compile(r"#?([0-9]{1,9})")
_SEE = {"post": "`list`", "comment": "`comments <post>`", "notification": "`inbox`"}
_LIKE = {"post": "42", "comment": "7", "notification": "3"}


def example(verb: str) -> str:
    """The first example of ``verb``'s help, for "like …" hints in errors."""
    return HELP[verb].examples[0]


def suggestion(word: str, options: Iterable[str]) -> str:
    """A "Did you mean `x`?" sentence (leading space) for the closest option, or ""."""
    close = difflib.get_close_matches(word.lower(), list(options), n=1)
    return f" Did you mean `{close[0]}`?" if close else ""


class Args:
    """The tokens after the verb, consumed left to right."""

    def __init__(self, verb: str, line: str, tokens: list[Token]) -> None:
        self.verb = verb
        # What errors call the command; sub-commands narrow it ("accounts add").
        self.name = verb
        self.line = line
        self._took_text = False
        self._tokens = tokens
        self._pos = 0

    def peek(self) -> Token | None:
        return self._tokens[self._pos] if self._pos < len(self._tokens) else None

    def take(self) -> Token | None:
        token = self.peek()
        if token is not None:
            self._pos += 1
        return token

    def rest(self) -> list[Token]:
        tokens = self._tokens[self._pos :]
        self._pos = len(self._tokens)
        return tokens

    def end(self, what: str, like: str | None = None) -> None:
        """Refuse leftover words: ``what`` says what the command takes."""
        token = self.peek()
        if token is not None:
            raise ParseError(
                f"I did not expect {quoted(token.text)} there; `{self.name}` takes "
                f"{what}, like `{like or example(self.verb)}`."
            )

    def need(self, what: str, like: str | None = None) -> Token:
        """The next token, which must be there: ``what`` names it in the error."""
        token = self.take()
        if token is None:
            raise ParseError(f"`{self.name}` needs {what}, like `{like or example(self.verb)}`.")
        return token

    def number(self, what: str = "post") -> int:
        """A positive id (``42`` or ``#42``) of a post, comment or notification."""
        token = self.take()
        if token is None:
            raise ParseError(f"`{self.verb}` needs a {what} number, like `{example(self.verb)}`.")
        return read_number(token, what)

    def choice(self, options: Mapping[str, T], what: str, like: str | None = None) -> T:
        """The next word, one of ``options`` (keys lower-case), or a suggestion."""
        return read_choice(self.need(what, like), options, what)

    def text(self, keywords: frozenset[str] = frozenset()) -> str | None:
        """Text up to the first of ``keywords``: one quoted string, or words as typed.

        Unquoted text is cut from the line itself so its spacing survives; a keyword
        inside quotes is part of the text. None when there is no text at all.
        """
        self._took_text = True
        first = self.peek()
        if first is None or first.is_word(*keywords):
            return None
        if first.quoted:
            self.take()
            text = first.text
        else:
            last = first
            while (token := self.peek()) is not None and not token.is_word(*keywords):
                last = token
                self.take()
            text = self.line[first.start : last.end]
        if not text.strip():
            raise ParseError(f"The text is empty; write it in quotes, like `{example(self.verb)}`.")
        return text

    def options(self, spec: Mapping[str, Kind]) -> dict[str, list[Token]]:
        """Consume ``keyword words…`` groups; return each keyword's words."""
        found: dict[str, list[Token]] = {}
        tokens = self.rest()
        i = 0
        while i < len(tokens):
            keyword = tokens[i].text.lower()
            if not tokens[i].is_word(*spec):
                raise ParseError(self._unexpected(tokens[i], spec))
            kind = spec[keyword]
            j = i + 1
            while j < len(tokens) and not _ends(tokens[j], keyword, kind, spec):
                j += 1
            if j == i + 1:
                raise ParseError(EMPTY_OPTION[keyword])
            if keyword in found and kind != "many":
                raise ParseError(
                    f"You gave `{keyword}` twice; `{self.verb}` takes it once, "
                    f"like `{example(self.verb)}`."
                )
            found.setdefault(keyword, []).extend(tokens[i + 1 : j])
            i = j
        return found

    def _unexpected(self, token: Token, spec: Mapping[str, Kind]) -> str:
        allowed = ", ".join(f"`{k}`" for k in spec)
        if token.is_word(*KEYWORDS):
            return (
                f"`{self.verb}` has no `{token.text.lower()}` option; it takes {allowed}, "
                f"like `{example(self.verb)}`."
            )
        if self._took_text:
            return (
                f"I did not expect {quoted(token.text)} there; put the whole text in quotes, "
                f"then options ({allowed}), like `{example(self.verb)}`."
            )
        return (
            f"I did not expect {quoted(token.text)} there; `{self.verb}` takes only the "
            f"options {allowed} here, like `{example(self.verb)}`."
        )


def _ends(token: Token, keyword: str, kind: Kind, spec: Mapping[str, Kind]) -> bool:
    """Whether ``token`` starts the next option (a time may repeat its own keyword)."""
    return token.is_word(*spec) and not (kind == "when" and token.is_word(keyword))


def read_number(token: Token, what: str = "post") -> int:
    """``42`` or ``#42`` as a positive int; anything else is refused in words."""
    match = _NUMBER.fullmatch(token.text.strip())
    if match is None or int(match.group(1)) == 0:
        raise ParseError(
            f"{quoted(token.text)} is not a {what} number; {what} numbers look like "
            f"{_LIKE[what]} (see {_SEE[what]})."
        )
    return int(match.group(1))


def read_choice(token: Token, options: Mapping[str, T], what: str) -> T:
    """Map a word to one of ``options``; an unknown word gets the closest suggestion.

    Keys whose value is another key's (aliases such as ``draft`` for ``drafts``) are
    accepted but not listed.
    """
    value = options.get(token.text.lower())
    if value is None:
        shown = ", ".join(f"`{k}`" for k, v in options.items() if not _alias(k, v))
        raise ParseError(
            f"{quoted(token.text)} is not {what}; try {shown}.{suggestion(token.text, options)}"
        )
    return value


def _alias(key: str, value: object) -> bool:
    return isinstance(value, str) and value != key


def option_words(found: Mapping[str, list[Token]], keyword: str) -> str | None:
    """A time given after ``keyword`` (free words, kept raw), or None if not given."""
    if keyword not in found:
        return None
    text = words(found[keyword])
    if not text:
        raise ParseError(EMPTY_OPTION[keyword])
    return text


def option_items(found: Mapping[str, list[Token]], keyword: str) -> tuple[str, ...]:
    """The names (accounts, labels) given after ``keyword``; () when it was not given."""
    names = items(found.get(keyword, []))
    if keyword in found and not names:
        raise ParseError(EMPTY_OPTION[keyword])
    return names


def option_paths(found: Mapping[str, list[Token]], keyword: str) -> tuple[str, ...]:
    """File paths or URLs; commas around them (``a.jpg, b.jpg``) only separate."""
    tokens = found.get(keyword, [])
    given = [t.text.strip() if t.quoted else t.text.strip(",") for t in tokens]
    found_paths = tuple(dict.fromkeys(path for path in given if path.strip()))
    if keyword in found and not found_paths:
        raise ParseError(EMPTY_OPTION[keyword])
    return found_paths


def words(tokens: Iterable[Token]) -> str:
    """Free words (a time, a date) joined by single spaces, quotes dropped."""
    return " ".join(token.text.strip() for token in tokens if token.text.strip())


def items(tokens: Iterable[Token]) -> tuple[str, ...]:
    """Names separated by commas and/or spaces, each once, in order.

    A quoted name is kept whole, commas and all.
    """
    names: list[str] = []
    for token in tokens:
        parts = [token.text] if token.quoted else token.text.split(",")
        names.extend(part.strip() for part in parts if part.strip())
    return tuple(dict.fromkeys(names))
