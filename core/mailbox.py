"""Email addresses members type: what we accept, in the one spelling we keep.

No library for this is a dependency, so the rule is written out: the common address
forms mail servers accept (RFC 5321 dot-atoms), nothing exotic. A quoted local part,
an IP literal or a single-label domain is refused with a sentence that says why,
rather than accepted and bounced later.
"""

import re

from core.errors import ValidationFailed

# RFC 5322 atext: letters, digits and these signs; dots only between them.
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
LONGEST = 254
LONGEST_LOCAL = 64


def normalize_address(raw: str) -> str:
    """The address as we keep it (domain lower-cased, an international domain in its
    ASCII form), or ValidationFailed with what is wrong and an example."""
    text = raw.strip()
    example = "say it like `you@example.org`"
    if not text:
        raise ValidationFailed(f"An email address is needed; {example}.")
    shown = text if len(text) <= 80 else text[:77] + "…"
    if any(c.isspace() for c in text) or text.count("@") != 1:
        raise ValidationFailed(f"“{shown}” is not an email address; {example}.")
    local, domain = text.split("@")
    if not local or not domain:
        raise ValidationFailed(f"“{shown}” is not an email address; {example}.")
    if len(local) > LONGEST_LOCAL or not _LOCAL.fullmatch(local):
        raise ValidationFailed(
            f"“{shown}” has a name before the @ that mail servers do not take: letters, "
            f"digits and . _ + - are fine (no spaces, quotes or two dots in a row); {example}."
        )
    domain = _ascii_domain(domain.rstrip("."), shown, example)
    address = f"{local}@{domain}"
    if len(address) > LONGEST:
        raise ValidationFailed(f"“{shown}” is longer than an email address can be.")
    return address


def _ascii_domain(domain: str, shown: str, example: str) -> str:
    try:
        ascii_domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValidationFailed(f"“{shown}” does not end in a domain name; {example}.") from None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        raise ValidationFailed(
            f"“{shown}” does not end in a domain name such as example.org; {example}."
        )
    if labels[-1].isdigit():
        raise ValidationFailed(
            f"“{shown}” ends in a number, not a domain; an address at an IP is not taken."
        )
    return ascii_domain
