"""Media of a post: files kept by content hash, and what each platform accepts.

A post's ``media`` list holds one text per item. An item stored in the media store is
written ``media:<sha256>:<alt>:<source>`` (the description, percent-encoded, and the
source as the member gave it, a file name or a link), so the post row stays a list of
strings while publishing finds the bytes by hash. Anything else is a link kept as typed.
"""

from dataclasses import dataclass
from urllib.parse import quote, unquote

_PREFIX = "media:"


@dataclass(frozen=True)
class MediaRef:
    sha256: str
    source: str
    # What the image shows, for people who cannot see it (platforms' alt text).
    alt: str = ""

    def __str__(self) -> str:
        return f"{_PREFIX}{self.sha256}:{quote(self.alt, safe='')}:{self.source}"

    @classmethod
    def parse(cls, item: str) -> "MediaRef | None":
        if not item.startswith(_PREFIX):
            return None
        sha, _, rest = item[len(_PREFIX) :].partition(":")
        alt, _, source = rest.partition(":")
        return cls(sha, source, unquote(alt)) if len(sha) == 64 else None


def media_label(item: str) -> str:
    """What a member reads for an item: its source, never the hash."""
    ref = MediaRef.parse(item)
    return ref.source if ref else item


@dataclass(frozen=True)
class StoredMedia:
    """A file in a workspace's media store, as read from its bytes when it was stored."""

    workspace_id: int
    sha256: str
    content_type: str
    size: int
    width: int | None = None
    height: int | None = None
    id: int = 0


@dataclass(frozen=True)
class MediaRules:
    """A platform's documented limits on attachments, checked at schedule time."""

    max_count: int
    image_types: frozenset[str]
    max_image_bytes: int
    video_types: frozenset[str] = frozenset()
    max_video_bytes: int = 0

    def problem(self, files: "list[StoredMedia]", label: str) -> str | None:
        """Why these files cannot go to the platform, in words; None when they can."""
        if len(files) > self.max_count:
            return f"{label} takes at most {self.max_count} files; this post has {len(files)}."
        for file in files:
            if file.content_type in self.image_types:
                limit, kind = self.max_image_bytes, "an image"
            elif file.content_type in self.video_types:
                limit, kind = self.max_video_bytes, "a video"
            else:
                accepted = sorted(self.image_types | self.video_types)
                return (
                    f"{label} does not take {file.content_type} files "
                    f"(it takes {', '.join(accepted)})."
                )
            if file.size > limit:
                return (
                    f"{label} takes {kind} of at most {_size(limit)}; this one is "
                    f"{_size(file.size)}."
                )
        return None


def _size(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n / 1000:.0f} kB"
