"""Per-account rate limits, so a burst of posts waits its turn instead of collecting 429s.

Each (platform, account) has a leaky bucket at the platform's published publish rate
(aiolimiter); on top, what the platform itself said wins: a quota that reached zero or a
429 blocks the account until the reset it named. An entry that would have to wait is
not held in a publish slot: it goes back to pending with ``not_before`` set, shows
"waiting for X's rate limit until 10:15", and a later tick sends it.

The buckets are per process: with several workers the platform's own headers are what
keeps the shared quota, and a 429 still only defers the entry.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from aiolimiter import AsyncLimiter

from core.ports import Clock, RateQuota


@dataclass(frozen=True)
class PublishLimit:
    posts: int
    per: timedelta


# Documented per-account limits on creating posts, as of 2026.
PUBLISHED_LIMITS: dict[str, PublishLimit] = {
    # POST /2/tweets: 100 per 15 minutes per user (tighter daily caps answer 429 + reset).
    "x": PublishLimit(100, timedelta(minutes=15)),
    # Member posts: 150 a day per member; the day resets at midnight UTC.
    "linkedin": PublishLimit(150, timedelta(days=1)),
    # 300 API calls per 5 minutes per account; a status with media takes a few.
    "mastodon": PublishLimit(60, timedelta(minutes=5)),
    # 5,000 points an hour per account, 3 per record created.
    "bluesky": PublishLimit(1_600, timedelta(hours=1)),
}


class RateLimits:
    def __init__(self, clock: Clock, limits: dict[str, PublishLimit] | None = None) -> None:
        self._clock = clock
        self._limits = PUBLISHED_LIMITS if limits is None else limits
        self._buckets: dict[tuple[str, int], AsyncLimiter] = {}
        self._blocked: dict[tuple[str, int], datetime] = {}

    async def reserve(self, platform: str, account_id: int) -> datetime | None:
        """Take one publish from the account's allowance now; when there is none
        left, the moment to try again instead (nothing is taken then)."""
        key = (platform, account_id)
        now = self._clock.now()
        blocked = self._blocked.get(key)
        if blocked is not None:
            if blocked > now:
                return blocked
            del self._blocked[key]
        limit = self._limits.get(platform)
        if limit is None:
            return None
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = AsyncLimiter(limit.posts, limit.per.total_seconds())
        if not bucket.has_capacity():
            # One post drips out of the bucket every per/posts.
            return now + limit.per / limit.posts
        # With capacity, acquire() returns without suspending: no other entry of the
        # account can take the last post between the check and this.
        await bucket.acquire()
        return None

    def told(self, platform: str, account_id: int, quota: RateQuota | None) -> None:
        """What a response's rate-limit headers said."""
        if quota is not None and quota.remaining <= 0:
            self.block(platform, account_id, quota.resets_at)

    def block(self, platform: str, account_id: int, until: datetime) -> None:
        key = (platform, account_id)
        self._blocked[key] = max(until, self._blocked.get(key, until))
