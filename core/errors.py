"""Domain errors: each carries a sentence a person can read, shown as-is in chat."""


class DomainError(Exception):
    """A request the domain refuses; ``message`` is safe to show to the member."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The thing named does not exist in this workspace."""


class NotMember(NotFound):
    """A chat user this workspace has not invited, or one who has not accepted yet."""


class PermissionDenied(DomainError):
    """The member's role does not allow the action."""


class InvalidTransition(DomainError):
    """A state machine refused a move from one status to another."""


class ValidationFailed(DomainError):
    """Input that breaks a rule: empty text, a time in the past, text over a limit."""


class Unavailable(DomainError):
    """Something the bot relies on failed (a full disk); nothing was changed."""


class Conflict(DomainError):
    """Another actor changed the thing first (a concurrent click, a racing worker)."""
