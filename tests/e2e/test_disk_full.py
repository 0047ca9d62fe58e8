"""Issue 13, faults: a full disk under the media store or the sandbox folder gives a
clear answer and leaves nothing half-written.

The folders are small tmpfs mounts (this machine's tests run as root); where mounting
is not allowed the test is skipped and says why."""

import io
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PIL import Image

from tests.e2e.platform_console import console
from tests.media_server import media_server


@contextmanager
def tiny_disk(folder: Path, size: str = "64k") -> Iterator[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.strip()[:80]})")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def noise_png(side: int = 200) -> bytes:
    """An image that does not compress: bigger than the tiny disk."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, format="PNG")
    return out.getvalue()


def fill(folder: Path) -> None:
    """Take every byte the disk has left."""
    try:
        with (folder / "filler").open("wb", buffering=0) as out:
            while True:
                out.write(b"\0" * 4096)
    except OSError:
        pass


async def test_a_full_media_disk_refuses_the_post_clearly_and_keeps_no_half_file(
    tmp_path: Path,
) -> None:
    with (
        tiny_disk(tmp_path / "media") as media,
        media_server({"/big.png": noise_png()}) as files,
    ):
        async with console(tmp_path, media_dir=media) as bot:
            said = await bot.line(
                f'schedule "With a photo" at 2026-12-02T10:00Z with {files}/big.png'
            )
            assert "media store could not keep the file" in said, said
            assert "went wrong on my side" not in said
            assert "no post 1" in (await bot.line("show 1")).lower(), "nor a post"
        assert [p.name for p in media.rglob("*") if p.is_file()] == [], "no half file"


async def test_a_full_sandbox_disk_fails_the_entry_with_its_reason_and_no_half_post(
    tmp_path: Path,
) -> None:
    with tiny_disk(tmp_path / "sandbox") as sandbox:
        async with console(tmp_path, sandbox_dir=sandbox) as bot:
            await bot.line("accounts add sandbox main")
            fill(sandbox)
            await bot.line('schedule "No room" at 2026-12-02T10:00Z')
            await bot.line(":advance 2h")
            shown = await bot.line("show 1")
            assert "failed" in shown and "could not be written" in shown, shown
            left = [p.name for p in sandbox.rglob("*") if p.is_file() and p.name != "filler"]
            assert left == [], "no half-written post file"
