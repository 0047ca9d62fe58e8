"""The Jinja2 environment of emails and web pages; HTML templates are autoescaped."""

from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


@cache
def environment() -> Environment:
    """Built on first use, then shared; templates live in ``bot/email/templates``."""
    return Environment(
        loader=PackageLoader("bot.email", "templates"),
        # Plain-text templates (.txt.j2) must not be escaped; HTML ones always are.
        autoescape=select_autoescape(
            enabled_extensions=("html.j2",), default_for_string=False, default=False
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
