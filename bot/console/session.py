"""One person at a terminal: command lines, console-only lines, and the composer.

Whatever the line, ``handle`` answers it and the console carries on: a refusal says what
is accepted, and a failure nobody foresaw is logged with a reference and answered in one
line (the traceback goes to the log, never into the conversation).
"""

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta

from bot.app import App
from bot.commands import requests as rq
from bot.commands.dispatch import Context, dispatch
from bot.commands.errors import ParseError, quoted
from bot.commands.grammar import parse
from bot.commands.media import files_or_links
from bot.console.chat import ConsoleChat
from bot.console.durations import duration_seconds
from bot.console.render import render_text
from core.clock import ManualClock
from core.errors import DomainError
from core.messages import Reply, Tone, error
from core.notifications.model import Presence
from core.timeparse import YEARS_AHEAD, parse_when, reach, show_time
from core.usecases import members
from core.usecases.context import Actor
from core.usecases.identities import ChatProfile
from core.workspace import Member

WORKSPACE = "console"
DURATIONS = "10m, 2h, 1h30m or 3 days"

log = logging.getLogger(__name__)

Ask = Callable[[str], Awaitable[str | None]]
Say = Callable[[str], None]


class ConsoleSession:
    """Turns console lines into replies; ``handle`` returns False on ``:quit``."""

    def __init__(self, app: App, ask: Ask, say: Say) -> None:
        self.app = app
        self.ask = ask
        self.say = say
        self.actor: Actor | None = None
        self.name = ""

    async def start(self, name: str) -> None:
        workspace = await members.ensure_workspace(self.app.services, WORKSPACE)
        self._workspace_id = workspace.id
        self.chat = ConsoleChat(workspace.id, self.say)
        self.app.chat.add(self.chat)
        await self._become(name)
        await self.app.notify()

    async def _ensure(self, name: str) -> Member:
        # Console members get a local address so email can be tried: with no SMTP
        # server set, each email lands as an .eml file in the outbox folder.
        name = name.strip().lstrip("@")
        return await members.ensure_member(
            self.app.services, self._workspace_id, name, email=f"{name}@localhost"
        )

    async def _become(self, name: str) -> Reply:
        member = await self._ensure(name)
        self.actor = Actor(self._workspace_id, member.id)
        self.name = member.name
        return Reply(text=f"You are @{member.name} ({member.role.value}).")

    @property
    def prompt(self) -> str:
        return f"trypost @{self.name}> "

    async def handle(self, line: str) -> bool:
        line = line.strip()
        if not line or line.startswith("#"):
            return True
        if line in (":quit", ":q", ":exit"):
            return False
        try:
            handler = self._console_line if line.startswith(":") else self._command
            reply = await handler(line)
        except DomainError as refused:
            reply = error(refused.message)
        except Exception:
            reply = _unexpected("console line failed", line)
        self.say(render_text(reply))
        try:
            await self.app.notify()
        except Exception:
            # Notices stay in the outbox and go out on a later line; the console goes on.
            self.say(render_text(_unexpected("sending notifications failed", line)))
        return True

    async def _command(self, line: str) -> Reply:
        try:
            request = parse(line)
        except ParseError as refused:
            return error(refused.message)
        if isinstance(request, rq.Schedule) and request.text is None:
            composed = await self._compose(request)
            if composed is None:
                return Reply(text="Nothing scheduled.")
            request = composed
        assert self.actor is not None
        media = files_or_links(self.app.settings.private_hosts_allowed)
        return await dispatch(
            request,
            Context(
                self.app.services, self.actor, self._person, media=media, connect=self.app.connect
            ),
        )

    async def _person(self, user: str) -> ChatProfile | None:
        """On the console a name is a person, reachable at <name>@localhost."""
        name = user.strip().lstrip("@")
        return ChatProfile("", name, email=f"{name}@localhost") if name else None

    async def _compose(self, partial: rq.Schedule) -> rq.Schedule | None:
        """The console's composer: one prompt per field, blank keeps the default."""
        text = await self.ask("  Text: ")
        if not text or not text.strip():
            return None
        when = partial.when or await self.ask("  When (e.g. tomorrow 9am): ")
        accounts = partial.accounts or _words(await self.ask("  Accounts (blank = defaults): "))
        labels = partial.labels or _words(await self.ask("  Labels (blank = none): "))
        return replace(partial, text=text.strip(), when=when, accounts=accounts, labels=labels)

    async def _console_line(self, line: str) -> Reply:
        verb, _, rest = line[1:].partition(" ")
        rest = rest.strip()
        handler = {
            "as": self._as,
            "role": self._role,
            "presence": self._presence,
            "clock": self._clock,
            "advance": self._advance,
            "tick": self._tick,
        }.get(verb)
        if handler is None:
            return error(
                f"{quoted(':' + verb)} is not a console line; try :as, :role, :presence, :clock, "
                ":advance, :tick or :quit."
            )
        return await handler(rest)

    async def _as(self, rest: str) -> Reply:
        if not rest:
            return error("Who? `:as alice`.")
        return await self._become(rest.split(maxsplit=1)[0])

    async def _role(self, rest: str) -> Reply:
        parts = rest.split()
        if len(parts) != 2:
            return error("Use `:role <name> <role>`, e.g. `:role bob viewer`.")
        assert self.actor is not None
        await self._ensure(parts[0])
        member = await members.set_role(self.app.services, self.actor, parts[0], parts[1])
        return Reply(text=f"@{member.name} is now {member.role.value}.", tone=Tone.SUCCESS)

    async def _presence(self, rest: str) -> Reply:
        parts = rest.split()
        if len(parts) != 2 or parts[1] not in ("present", "away"):
            return error("Use `:presence <name> present|away`.")
        self.chat.presence_of[parts[0].lstrip("@")] = Presence(parts[1])
        return Reply(text=f"@{parts[0].lstrip('@')} is {parts[1]}.")

    def _manual_clock(self) -> ManualClock | None:
        clock = self.app.clock
        return clock if isinstance(clock, ManualClock) else None

    async def _clock(self, rest: str) -> Reply:
        clock = self._manual_clock()
        if clock is None:
            return error("The clock is real; start with --simulated-clock to move it.")
        if rest:
            when = parse_when(rest, await self._zone(), clock.now())
            clock.set(when)
            return await self._after_time_moved()
        return Reply(text=f"It is {show_time(clock.now(), await self._zone())}.")

    async def _advance(self, rest: str) -> Reply:
        clock = self._manual_clock()
        if clock is None:
            return error("The clock is real; start with --simulated-clock to move it.")
        seconds = duration_seconds(rest)
        if seconds is None:
            odd = next((c for c in rest if c.isnumeric() and c not in "0123456789"), None)
            digits = f"; write numbers with the digits 0-9 (not “{odd}”)" if odd else ""
            return error(f"{quoted(rest)} is not a duration{digits}; try {DURATIONS}.")
        now = clock.now()
        latest = reach(now)[1]
        if seconds > (latest - now).total_seconds():
            return error(
                f"{quoted(rest)} is more than {YEARS_AHEAD} years, which looks like a mistake; "
                f":advance moves the clock at most {YEARS_AHEAD} years at a time (up to "
                f"{show_time(latest, await self._zone())}), like {DURATIONS}."
            )
        clock.advance(timedelta(seconds=seconds))
        return await self._after_time_moved()

    async def _after_time_moved(self) -> Reply:
        """Time moved on: whatever came due meanwhile publishes, as the scheduler would,
        tokens are kept as the worker would, and digests whose hour has come go out."""
        report = await self.app.ticker.tick()
        if self.app.tokens is not None:
            # The worker's hourly token job: renewals, then expiry warnings.
            await self.app.tokens.keep()
        digests = await self.app.outbox.send_digests()
        now = show_time(self.app.clock.now(), await self._zone())
        done = f"; {report.published_posts} post(s) published" if report.published_posts else ""
        done += f"; {digests} digest email(s) sent" if digests else ""
        return Reply(text=f"It is now {now}{done}.")

    async def _tick(self, _: str) -> Reply:
        report = await self.app.ticker.tick()
        return Reply(
            text=f"Tick: {report.claimed} due post(s) claimed, "
            f"{report.published_posts} post(s) published, {report.recovered} recovered."
        )

    async def _zone(self) -> str:
        assert self.actor is not None
        me = await members.whoami(self.app.services, self.actor)
        return me.member.zone(me.workspace)


def _unexpected(what: str, line: str) -> Reply:
    """Log a failure nobody foresaw with a reference; answer it in one line."""
    ref = uuid.uuid4().hex[:8]
    # The line's verb only: the rest may be anything, secrets included (a webhook secret).
    log.exception(what, extra={"ref": ref, "verb": line.split(maxsplit=1)[0][:20]})
    return error(f"Something went wrong on my side (ref {ref}); the console carries on.")


def _words(raw: str | None) -> tuple[str, ...]:
    return tuple(w for w in (raw or "").replace(",", " ").split() if w)
