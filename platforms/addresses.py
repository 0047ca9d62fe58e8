"""Refuse URLs that lead back inside: loopback, private, link-local, metadata addresses.

A media link or a webhook URL typed in chat is fetched or posted to by the bot, from
the bot's own network. Left unchecked, ``http://169.254.169.254/…`` or
``http://localhost:5432`` would let anyone in a workspace reach what only the
operator should. The operator may allow named hosts (an intranet webhook receiver).
"""

import asyncio
import ipaddress
import socket
from collections.abc import Collection
from urllib.parse import urlsplit

from core.errors import ValidationFailed

RESOLVE_TIMEOUT = 5.0


def is_web_url(text: str) -> bool:
    return urlsplit(text).scheme.lower() in ("http", "https")


async def refuse_inward_url(url: str, allowed_hosts: Collection[str] = ()) -> None:
    """Raise ValidationFailed unless ``url`` is http(s) to public addresses only."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValidationFailed(f"“{url}” is not an http:// or https:// link.")
    host = parts.hostname.lower()
    if host in {h.lower() for h in allowed_hosts}:
        return
    try:
        port = parts.port
    except ValueError:
        raise ValidationFailed(f"“{url}” has a port I cannot read.") from None
    try:
        found = await asyncio.wait_for(
            asyncio.get_running_loop().getaddrinfo(host, port or 443, type=socket.SOCK_STREAM),
            RESOLVE_TIMEOUT,
        )
    except (OSError, TimeoutError, UnicodeError):
        raise ValidationFailed(f"I cannot find the host {host}; check the link.") from None
    for *_, address in found:
        if not _public(str(address[0])):
            raise ValidationFailed(
                f"{host} leads to a private or local address, which links from chat may "
                "not reach. An operator can allow it in TRYPOST_ALLOW_PRIVATE_HOSTS."
            )


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def is_loopback_host(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


async def check_api_base(url: str, allowed_hosts: Collection[str] = ()) -> str:
    """An instance or PDS URL typed in chat, made safe to call: https to public
    addresses (or hosts the operator allowed); plain http only to a loopback host the
    operator allowed (a test fake, a local instance). Returns it without a trailing
    slash; raises ValidationFailed with a reason a member can act on."""
    base = url.strip().rstrip("/")
    parts = urlsplit(base)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValidationFailed(f"“{url}” is not an https:// address.")
    if parts.path or parts.query or parts.fragment:
        raise ValidationFailed(f"Give the address alone, without a path: “{url}”.")
    if parts.scheme.lower() == "http" and not is_loopback_host(parts.hostname):
        raise ValidationFailed(f"“{url}” must use https:// (plain http is for loopback only).")
    await refuse_inward_url(base, allowed_hosts)
    return base
