"""The media store's bytes: ``<folder>/<aa>/<sha256>``, written once, never changed.

What a file is comes from its bytes, never from its name: Pillow reads images (and
their size, for Bluesky's aspect ratio); video containers are told by their magic
numbers. Anything else is refused here, so a platform never receives it.
"""

import asyncio
import hashlib
import io
import os
import tempfile
from pathlib import Path

import puremagic
from PIL import Image, UnidentifiedImageError

from core.errors import Unavailable, ValidationFailed
from core.ports import MediaFacts

_IMAGE_TYPES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "GIF": "image/gif",
    "WEBP": "image/webp",
    "AVIF": "image/avif",
    "HEIF": "image/heic",
}
_VIDEO_TYPES = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".webm": "video/webm",
    ".mov": "video/quicktime",
}


class FileMediaStore:
    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def path(self, sha256: str) -> str:
        return str(self._folder / sha256[:2] / sha256)

    async def inspect(self, data: bytes) -> MediaFacts:
        return await asyncio.to_thread(_facts, data)

    async def write(self, facts: MediaFacts, data: bytes) -> None:
        await asyncio.to_thread(self._write, facts.sha256, data)

    def _write(self, sha256: str, data: bytes) -> None:
        target = Path(self.path(sha256))
        if target.exists():
            return  # same hash, same bytes
        target.parent.mkdir(parents=True, exist_ok=True)
        # A temporary file renamed into place: a full disk or a crash leaves no half file.
        try:
            handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        except OSError as failed:
            raise _unavailable(failed) from None
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException as failed:
            Path(temporary).unlink(missing_ok=True)
            if isinstance(failed, OSError):
                raise _unavailable(failed) from None
            raise


def _unavailable(failed: OSError) -> Unavailable:
    why = failed.strerror or type(failed).__name__
    return Unavailable(
        f"The media store could not keep the file ({why}); nothing was saved and the post "
        "was not made. Tell the operator (TRYPOST_MEDIA_DIR), then try again."
    )


def _facts(data: bytes) -> MediaFacts:
    if not data:
        raise ValidationFailed("That file is empty.")
    sha = hashlib.sha256(data).hexdigest()
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = _IMAGE_TYPES.get(image.format or "")
            if kind is not None:
                width, height = image.size
                return MediaFacts(sha, kind, len(data), width, height)
    except (UnidentifiedImageError, OSError, ValueError):
        pass
    video = _video_type(data)
    if video is None:
        raise ValidationFailed(
            "That file is neither an image (JPEG, PNG, GIF, WebP) nor a video (MP4, WebM, MOV)."
        )
    return MediaFacts(sha, video, len(data))


def _video_type(data: bytes) -> str | None:
    try:
        found = puremagic.from_string(data[:8192])
    except puremagic.PureError:
        return None
    return _VIDEO_TYPES.get(str(found).lower())
