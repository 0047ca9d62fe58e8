"""Splitting a command line into words, the way people actually type them.

Like ``shlex`` but forgiving where chat needs it: typographic quotes (“ ” ‘ ’, which
Slack and phones insert) work like straight ones, an apostrophe inside a word
(``Don't``, ``Don’t``) is just a letter, and an unclosed quote is a ``ParseError``
with a sentence rather than a ``ValueError``. Each token remembers where it sat in the
line so unquoted text can be cut out exactly as typed, spacing and all.
"""

from dataclasses import dataclass

from bot.commands.errors import ParseError, quoted

DOUBLE_QUOTES = '"“”'
SINGLE_QUOTES = "'‘’"


@dataclass(frozen=True)
class Token:
    """One word or quoted string; ``start``/``end`` index the line (quotes included)."""

    text: str
    quoted: bool
    start: int
    end: int

    def is_word(self, *words: str) -> bool:
        """True for an unquoted token equal (ignoring case) to one of ``words``.

        Quoted tokens never match: that is how a keyword becomes plain text.
        """
        return not self.quoted and self.text.lower() in words


def tokenize(line: str) -> list[Token]:
    """Split ``line`` into tokens; raise ``ParseError`` on a quote that is never closed."""
    tokens: list[Token] = []
    i = 0
    while i < len(line):
        char = line[i]
        if char.isspace():
            i += 1
        elif char in DOUBLE_QUOTES or char in SINGLE_QUOTES:
            closers = DOUBLE_QUOTES if char in DOUBLE_QUOTES else SINGLE_QUOTES
            close = _closing(line, i + 1, closers)
            if close < 0:
                raise ParseError(
                    f"The quote before {quoted(line[i + 1 :], 24)} is never closed; "
                    "end the text with a matching quote."
                )
            tokens.append(Token(line[i + 1 : close], True, i, close + 1))
            i = close + 1
        else:
            end = i
            while end < len(line) and not line[end].isspace():
                end += 1
            tokens.append(Token(line[i:end], False, i, end))
            i = end
    return tokens


def _closing(line: str, start: int, closers: str) -> int:
    """Index of the quote that closes a string opened before ``start``, or -1.

    A quote followed by a letter or digit is an apostrophe (``'Don't'``), not the end.
    """
    for j in range(start, len(line)):
        if line[j] in closers and (j + 1 == len(line) or not line[j + 1].isalnum()):
            return j
    return -1
