"""Discord's documented limits on application commands, checked on a synced command list.

Source: "Application Commands", https://discord.com/developers/docs/interactions/application-commands
(sections "Application Command Naming", "Application Command Structure", "Application
Command Option Structure", "Subcommands and Subcommand Groups" and "Limits"):

- CHAT_INPUT command and option names match ``^[-_'\\p{L}\\p{N}…]{1,32}$`` and use the
  lowercase variant of every letter; we check the stricter ``^[-_\\w]{1,32}$`` (no
  apostrophe) plus lowercase. USER and MESSAGE commands may be mixed case with spaces.
- descriptions of CHAT_INPUT commands and of every option: 1-100 characters; USER and
  MESSAGE commands have an empty one.
- at most 25 options on a command or subcommand, 25 subcommands and groups on a command,
  25 subcommands in a group; a group holds subcommands only (one level of nesting).
- required options come before optional ones.
- at most 25 choices per option; a choice's name 1-100 characters, a string value at most
  100; ``autocomplete`` may not be set when ``choices`` are.
- a command's name, description and value properties, with those of its options
  (subcommands and groups included) and choices, total at most 4000 characters.
- at most 100 CHAT_INPUT commands globally, and 100 more per guild (5 USER and 5 MESSAGE).

:func:`problems` takes the list one ``PUT …/commands`` carries (one scope), as discord.py's
``CommandTree`` produces it (``[command.to_dict(tree) for command in …]``).
"""

import re
from typing import Any

NAME = re.compile(r"^[-_\w]{1,32}$")
MAX_OPTIONS = 25
MAX_CHOICES = 25
MAX_DESCRIPTION = 100
MAX_CHOICE_NAME = 100
MAX_CHOICE_VALUE = 100
MAX_TOTAL = 4000
MAX_SLASH_COMMANDS = 100
MAX_CONTEXT_MENUS = 5  # per type (USER, MESSAGE), per scope
SUBCOMMAND, GROUP = 1, 2
CHAT_INPUT, USER, MESSAGE = 1, 2, 3

Command = dict[str, Any]


def problems(commands: list[Command]) -> list[str]:
    """Every way ``commands`` (one scope: global, or one guild) breaks Discord's limits,
    each as one readable line; empty when Discord would accept them."""
    found: list[str] = []
    slash = [c for c in commands if c.get("type", CHAT_INPUT) == CHAT_INPUT]
    if len(slash) > MAX_SLASH_COMMANDS:
        found.append(f"{len(slash)} slash commands in one scope (at most {MAX_SLASH_COMMANDS})")
    for kind, label in ((USER, "user"), (MESSAGE, "message")):
        menus = [c for c in commands if c.get("type") == kind]
        if len(menus) > MAX_CONTEXT_MENUS:
            found.append(f"{len(menus)} {label} commands in one scope (at most 5)")
    names = [(c.get("type", CHAT_INPUT), c.get("name")) for c in commands]
    for kind, name in sorted({n for n in names if names.count(n) > 1}, key=str):
        found.append(f"command {name!r} (type {kind}) is defined twice")
    for command in commands:
        found.extend(_command_problems(command))
    return found


def _command_problems(command: Command) -> list[str]:
    kind = command.get("type", CHAT_INPUT)
    name = str(command.get("name", ""))
    where = f"/{name}" if kind == CHAT_INPUT else f"{name!r}"
    found: list[str] = []
    if kind == CHAT_INPUT:
        found.extend(_name_problems(where, name))
        found.extend(_description_problems(where, command.get("description")))
        found.extend(_options_problems(where, command.get("options") or [], depth=0))
    else:
        if not 1 <= len(name) <= 32:
            found.append(f"{where}: name is {len(name)} characters (1-32)")
        if command.get("options"):
            found.append(f"{where}: only slash commands take options")
    total = _characters(command)
    if total > MAX_TOTAL:
        found.append(f"{where}: {total} characters in all (at most {MAX_TOTAL})")
    return found


def _name_problems(where: str, name: str) -> list[str]:
    if not NAME.match(name):
        return [f"{where}: name {name!r} does not match {NAME.pattern}"]
    if name != name.lower():
        return [f"{where}: name {name!r} is not lowercase"]
    return []


def _description_problems(where: str, description: object) -> list[str]:
    text = description if isinstance(description, str) else ""
    if not 1 <= len(text) <= MAX_DESCRIPTION:
        return [f"{where}: description is {len(text)} characters (1-{MAX_DESCRIPTION})"]
    return []


def _options_problems(where: str, options: list[Command], *, depth: int) -> list[str]:
    """``depth`` 0: a command's options; 1: a group's; 2: a subcommand's."""
    found: list[str] = []
    if len(options) > MAX_OPTIONS:
        what = "subcommands and groups" if _nested(options) else "options"
        found.append(f"{where}: {len(options)} {what} (at most {MAX_OPTIONS})")
    nested = [o for o in options if o.get("type") in (SUBCOMMAND, GROUP)]
    if nested and len(nested) != len(options):
        found.append(f"{where}: subcommands or groups mixed with plain options")
    optional_seen = False
    for option in options:
        name = str(option.get("name", ""))
        inner = f"{where} {name}"
        kind = option.get("type")
        found.extend(_name_problems(inner, name))
        found.extend(_description_problems(inner, option.get("description")))
        if kind == GROUP and depth > 0:
            found.append(f"{inner}: a group nested below the top level")
        elif kind == SUBCOMMAND and depth > 1:
            found.append(f"{inner}: a subcommand below a subcommand")
        elif kind == GROUP and any(o.get("type") != SUBCOMMAND for o in option["options"] or []):
            found.append(f"{inner}: a group may hold subcommands only")
        if kind == GROUP:
            found.extend(_options_problems(inner, option.get("options") or [], depth=1))
        elif kind == SUBCOMMAND:
            found.extend(_options_problems(inner, option.get("options") or [], depth=2))
        else:
            if option.get("required"):
                if optional_seen:
                    found.append(f"{inner}: a required option after an optional one")
            else:
                optional_seen = True
            found.extend(_choice_problems(inner, option))
    return found


def _choice_problems(where: str, option: Command) -> list[str]:
    choices = option.get("choices") or []
    found: list[str] = []
    if len(choices) > MAX_CHOICES:
        found.append(f"{where}: {len(choices)} choices (at most {MAX_CHOICES})")
    if choices and option.get("autocomplete"):
        found.append(f"{where}: autocomplete together with choices")
    for choice in choices:
        name, value = str(choice.get("name", "")), choice.get("value")
        if not 1 <= len(name) <= MAX_CHOICE_NAME:
            found.append(f"{where}: choice name {name[:20]!r}… is {len(name)} characters (1-100)")
        if isinstance(value, str) and len(value) > MAX_CHOICE_VALUE:
            found.append(f"{where}: choice value of {name!r} is {len(value)} characters (1-100)")
    return found


def _nested(options: list[Command]) -> bool:
    return any(o.get("type") in (SUBCOMMAND, GROUP) for o in options)


def _characters(item: Command) -> int:
    """Name + description + value, summed over the command, its options and choices."""
    total = len(str(item.get("name", ""))) + len(str(item.get("description") or ""))
    if "value" in item:
        total += len(str(item["value"]))
    for option in item.get("options") or []:
        total += _characters(option)
    for choice in item.get("choices") or []:
        total += _characters(choice)
    return total
