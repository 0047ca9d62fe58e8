"""Who is asking, from a Slack payload: the team is a workspace, the user a member."""

import re
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from bot.commands import requests as rq
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


def channel_of(body: dict[str, Any]) -> str | None:
    channel = body.get("channel")
    if isinstance(channel, dict):
        found = channel.get("id")
        return found if isinstance(found, str) else None
    container = body.get("container")
    in_container = container.get("channel_id") if isinstance(container, dict) else None
    return body.get("channel_id") or in_container


def workspace_team(
    authorized: str | None, enterprise_id: str | None, body: dict[str, Any]
) -> str | None:
    """The Slack workspace a request came from, which is our workspace's key.

    bolt's team is the one it authorized; with an org-wide (Enterprise Grid) install that
    can be the org itself (a modal's ``app_installed_team_id`` is the org's id), and
    members live in workspaces, not in the org: then the workspace is the one the view,
    the user or the command belongs to.
    """
    if authorized and authorized != enterprise_id and not authorized.startswith("E"):
        return authorized
    view, user = body.get("view"), body.get("user")
    candidates = (
        view.get("team_id") if isinstance(view, dict) else None,
        user.get("team_id") if isinstance(user, dict) else None,
        team_of(body)[0],
        body.get("team_id"),
    )
    for team in candidates:
        if isinstance(team, str) and team and team != enterprise_id and not team.startswith("E"):
            return team
    return authorized


def slack_refusal(request: rq.Request) -> str | None:
    """What Slack cannot do of a request the grammar accepted: on Slack a person is a
    mention (``<@U…>``), so an invitation of ``<!channel>``, a user group, a channel or
    a bare name would make a member nobody can ever be."""
    if not isinstance(request, rq.Members) or request.action != "invite":
        return None
    if request.user and mentioned_user(request.user) is None:
        return (
            "Invite a person by mentioning them (type @ and pick their name); "
            f"{_shown(request.user)} is not a Slack user."
        )
    return None


def _shown(text: str) -> str:
    """A refused target, said without pinging anyone (``<!channel>`` would)."""
    return "`" + text.replace("`", "'").replace("<", "‹").replace(">", "›") + "`"
