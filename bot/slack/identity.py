"""Who is asking, from a Slack payload: the team is a workspace, the user a member."""

import re
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.gateway import user_profile
from core.usecases import identities
from core.usecases.context import Actor, Services

_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


async def slack_actor(
    svc: Services, client: AsyncWebClient, team_id: str, user_id: str, team_name: str | None
) -> Actor:
    """The member behind a Slack user, created on first sight with their profile."""
    known = await identities.known_slack_actor(svc, team_id, user_id)
    if known is not None:
        return known
    workspace = await identities.slack_workspace(svc, team_id, team_name)
    profile = await _profile_if_new(svc, client, workspace.id, user_id)
    return await identities.slack_member(svc, workspace.id, profile)


async def _profile_if_new(
    svc: Services, client: AsyncWebClient, workspace_id: int, user_id: str
) -> identities.ChatProfile:
    """Ask Slack (users.info) only for people we have not met: it is a network call."""
    if await identities.slack_member_name(svc, workspace_id, user_id) is not None:
        return identities.ChatProfile(user_id, user_id)
    name, email, zone = await user_profile(client, user_id)
    return identities.ChatProfile(user_id, name or user_id, email, zone)


async def slack_person(
    svc: Services, client: AsyncWebClient, team_id: str, user_id: str
) -> identities.ChatProfile:
    """A Slack user as a person: by their member name if they are one, else as Slack
    describes them (for an invitation)."""
    workspace = await identities.slack_workspace(svc, team_id, None)
    name = await identities.slack_member_name(svc, workspace.id, user_id)
    if name is not None:
        return identities.ChatProfile(user_id, name)
    display, email, zone = await user_profile(client, user_id)
    return identities.ChatProfile(user_id, display or user_id, email, zone)


def mentioned_user(text: str) -> str | None:
    """``<@U123|alice>`` → ``U123``: how Slack writes a person in a command."""
    match = _MENTION.match(text.strip())
    return match[1] if match else None


def team_of(body: dict[str, Any]) -> tuple[str | None, str | None]:
    team = body.get("team")
    if isinstance(team, dict):
        return team.get("id"), team.get("domain")
    return body.get("team_id"), body.get("team_domain")


def user_of(body: dict[str, Any]) -> str | None:
    user = body.get("user")
    if isinstance(user, dict):
        return user.get("id")
    return body.get("user_id") or (user if isinstance(user, str) else None)
