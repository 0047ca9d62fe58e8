"""Scenarios written once and run on every surface: that is how parity is proven.

A step is a line as a person types it (without `/trypost`), or `:advance <duration>`,
and the phrases its answer must contain.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    line: str
    expect: tuple[str, ...] = ()


SCENARIOS: dict[str, list[Step]] = {
    "publish, fail, retry": [
        Step("accounts add sandbox brand", ("Added sandbox account brand",)),
        Step("accounts add sandbox news", ("Added sandbox account news",)),
        Step('schedule "Hello parity" at 2026-11-25T11:30Z', ("Scheduled post 1", "pending")),
        Step("list", ("#1", "scheduled", "Hello parity")),
        Step("calendar week", ("Week of 23 Nov", "#1")),
        Step(":advance 2h"),
        Step("show 1", ("Post 1", "published", "brand (sandbox)", "file://")),
        Step("accounts mode news fail", ("mode fail",)),
        Step('schedule "Second" at in 30 minutes', ("Scheduled post 2",)),
        Step(":advance 1h"),
        Step("show 2", ("partially published", "told to reject")),
        Step("accounts mode news ok", ("mode ok",)),
        Step("retry 2", ("Post 2 published",)),
        Step("retry 2", ("nothing to retry",)),
    ],
    "drafts, labels, duplicate, delete": [
        Step("accounts add sandbox brand", ("Added",)),
        Step('draft "Idea" label spring', ("Draft 1 saved", "#spring")),
        Step("duplicate 1", ("copied to draft 2",)),
        Step("label 2 summer", ("#summer",)),
        Step("list drafts", ("#1", "#2")),
        Step("list all label summer", ("#2",)),
        Step("delete 2", ("Delete post 2?", "stays on the platforms")),
        Step("delete 2 confirm", ("deleted",)),
        Step("labels", ("#spring", "#summer")),
    ],
    "bad input": [
        Step("accounts add sandbox brand", ("Added",)),
        Step('schedule "Late" at yesterday 9am', ("in the past",)),
        Step('schedule "Soon" at whenever-ish', ("could not read",)),
        Step('schedule "Where" at tomorrow 9am on nowhere', ("No account or platform",)),
        Step("show 42", ("There is no post 42",)),
        Step("shedule", ("Did you mean `schedule`",)),
        Step("list", ("No posts",)),
    ],
}
