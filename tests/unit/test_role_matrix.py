"""Every command and every button × every role: allowed or refused, from one table.

The table must name every request type the grammar makes, so a new command cannot be
forgotten here; buttons are commands (``Button.command``), so every button any reply
or notice draws must parse to a command of the table too.
"""

from datetime import UTC, datetime
from typing import get_args

import pytest

from bot.commands import views
from bot.commands.dispatch import Context, dispatch
from bot.commands.grammar import VERBS, parse
from bot.commands.requests import Request
from core.messages import Button
from core.notifications.model import Notification
from core.notifications.render import render
from core.notifications.types import NoticeType
from core.ports import PermanentPlatformError
from core.posts import Post
from core.roles import Role
from core.states import PostStatus, ReviewState
from core.usecases import comments, reviews
from core.usecases import posts as cases
from core.usecases.context import Actor
from core.usecases.posts import NewPost
from tests.unit.conftest import World, make_world

EVERYONE = frozenset(Role)
EDITORS = frozenset({Role.OWNER, Role.ADMIN, Role.EDITOR})
REVIEWERS = frozenset({Role.OWNER, Role.ADMIN, Role.APPROVER})
ADMINS = frozenset({Role.OWNER, Role.ADMIN})

# Post 1 is a draft, 2 scheduled, 3 failed, 4 waits for review (by @author); comment 1
# is @author's, on post 1.
MATRIX: dict[str, frozenset[Role]] = {
    "help": EVERYONE,
    'schedule "x" at tomorrow 9am': EDITORS,
    'now "x"': EDITORS,
    'draft "x"': EDITORS,
    "list": EVERYONE,
    "calendar week": EVERYONE,
    "show 1": EVERYONE,
    'edit 1 "changed"': EDITORS,
    "reschedule 1 tomorrow 10am": EDITORS,
    "unschedule 2": EDITORS,
    "duplicate 1": EDITORS,
    "delete 1 confirm": EDITORS,
    "retry 3": EDITORS,
    "submit 1": EDITORS,
    "approve 4": REVIEWERS,
    'changes 4 "shorter"': REVIEWERS,
    'comment 1 "looks good"': EVERYONE,
    'comment 1 reply 1 "agreed"': EVERYONE,
    'comment edit 1 "hijack"': frozenset(),  # authors only, whatever the role
    "comment delete 1": ADMINS,  # or its author
    "comments 1": EVERYONE,
    "react 1 👍": EVERYONE,
    "accounts": EVERYONE,
    "accounts add sandbox extra": ADMINS,
    "accounts mode main fail": ADMINS,
    "accounts remove main": ADMINS,
    "labels": EVERYONE,
    "labels add spring": EDITORS,
    "label 1 spring": EDITORS,
    "unlabel 1 spring": EDITORS,
    "inbox": EVERYONE,
    "read all": EVERYONE,
    "archive all": EVERYONE,
    "settings": EVERYONE,
    "settings timezone Europe/Paris": EVERYONE,
    "settings email me@example.org": EVERYONE,
    "settings notifications": EVERYONE,
    "settings approvals on": ADMINS,
    "settings limit 50": ADMINS,
    "members": EVERYONE,
    "members invite @newbie editor": ADMINS,
    "members role @author viewer": ADMINS,
    "members remove @author": ADMINS,
}
# Answer one's own invitation: not a role's matter (tested in test_collaboration).
OWN_INVITATION = ("members accept", "members decline")


def test_the_table_names_every_command_the_grammar_makes() -> None:
    made = {type(parse(line)) for line in [*MATRIX, *OWN_INVITATION]}
    assert made == set(get_args(Request))
    assert {line.split()[0] for line in MATRIX} == set(VERBS)


def test_every_button_is_a_command_of_the_table() -> None:
    known = {type(parse(line)) for line in [*MATRIX, *OWN_INVITATION]}
    for button in _every_button():
        words = button.command
        # A button missing its text (comment, changes) opens a composer on chat surfaces.
        line = words if words.split()[0] not in ("comment", "changes") else f'{words} "x"'
        assert type(parse(line)) in known, button


async def _world_for(role: Role) -> tuple[World, Actor]:
    world = await make_world()
    author = await world.member("author", Role.EDITOR)
    me = world.owner if role is Role.OWNER else await world.member("me", role)
    svc = world.svc
    await cases.create_draft(svc, author, NewPost("draft one"))
    await cases.schedule_post(svc, author, NewPost("scheduled two", when="in 2 hours"))
    world.platform.fail("main", PermanentPlatformError("no"))
    world.platform.fail("masto", PermanentPlatformError("no"))
    await cases.publish_now(svc, author, NewPost("failed three"))
    review = await cases.create_draft(svc, author, NewPost("review four"))
    await reviews.submit_post(svc, author, review.number)
    await comments.add_comment(svc, author, 1, "the author's comment")
    return world, me


CASES = [(line, role) for line in MATRIX for role in Role]


@pytest.mark.parametrize(("line", "role"), CASES, ids=[f"{line}-{role}" for line, role in CASES])
async def test_each_role_may_do_what_the_design_says(line: str, role: Role) -> None:
    world, me = await _world_for(role)
    reply = await dispatch(parse(line), Context(world.svc, me))
    said = f"{reply.title or ''} {reply.text or ''}"
    refused = "Your role (" in said or "is not yours" in said
    assert "went wrong" not in said, said
    if role in MATRIX[line]:
        assert not refused, f"{role} was refused {line!r}: {said}"
    else:
        assert refused, f"{role} was allowed {line!r}: {said}"


def _every_button() -> list[Button]:
    at = datetime(2026, 12, 1, tzinfo=UTC)
    found: list[Button] = []
    payload = {"post_number": 4, "text": "t", "comment_number": 7, "entries": [],
               "account": "main", "platform": "mastodon", "status": "failed"}  # fmt: skip
    for kind in NoticeType:
        notice = Notification(1, 1, kind, at, payload=payload, id=1)
        found += render(notice).buttons
    for status in PostStatus:
        for state in ReviewState:
            post = Post(1, 1, "t", number=4, status=status, review_state=state)
            found += views.post_buttons(post)
    return found
