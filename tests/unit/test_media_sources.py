"""Media after ``with``: files on the console only; links never lead inside (issue 14)."""

from pathlib import Path

import pytest

from bot.commands.media import files_or_links, links_only
from core.errors import ValidationFailed
from platforms.addresses import refuse_inward_url

INWARD = [
    "http://127.0.0.1/x.png",
    "http://localhost:5432/",
    "http://10.0.0.7/a.jpg",
    "http://172.16.3.4/a.jpg",
    "http://192.168.1.1/router",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/cgnat",
    "http://0.0.0.0/",
    "http://[::1]/",
    "http://[fe80::1]/",
    "http://[fd00::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://224.0.0.1/",
]


@pytest.mark.parametrize("url", INWARD)
async def test_links_to_loopback_private_link_local_or_metadata_addresses_are_refused(
    url: str,
) -> None:
    with pytest.raises(ValidationFailed, match="private or local address"):
        await refuse_inward_url(url)


async def test_a_public_address_is_accepted() -> None:
    await refuse_inward_url("https://93.184.215.14/picture.png")


async def test_the_operator_may_allow_a_private_host() -> None:
    await refuse_inward_url("http://localhost:8080/hook", allowed_hosts={"LOCALHOST"})


@pytest.mark.parametrize("url", ["ftp://93.184.215.14/a", "file:///etc/passwd", "https://"])
async def test_only_http_links_with_a_host_are_links(url: str) -> None:
    with pytest.raises(ValidationFailed, match="not an http"):
        await refuse_inward_url(url)


@pytest.mark.parametrize("source", ["/etc/passwd", "~/.ssh/id_rsa", "media/logo.png"])
async def test_chat_surfaces_never_read_the_servers_files(source: str) -> None:
    with pytest.raises(ValidationFailed, match="not a link"):
        await links_only()([source])


async def test_chat_surfaces_refuse_inward_links() -> None:
    with pytest.raises(ValidationFailed, match="private or local"):
        await links_only()(["http://169.254.169.254/latest"])


async def test_the_console_takes_local_files_and_names_missing_ones(tmp_path: Path) -> None:
    picture = tmp_path / "logo.png"
    picture.write_bytes(b"\x89PNG")
    assert await files_or_links()([str(picture)]) == (str(picture.resolve()),)
    with pytest.raises(ValidationFailed, match="no file at"):
        await files_or_links()([str(tmp_path / "missing.png")])
    with pytest.raises(ValidationFailed, match="private or local"):
        await files_or_links()(["http://127.0.0.1/x"])
