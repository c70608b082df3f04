class OperationError(Exception):
    """An operation refused its input; the message is meant for the person who sent it.

    ``field`` names the form field the problem belongs to, when there is one.
    """

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


class NotAllowed(OperationError):
    """The actor may not do this. The message is the reason (a ``brain.permissions.Reason``:
    its ``why`` names the kind of refusal), shown to them as it is."""

    @property
    def why(self):
        return getattr(self.message, "why", None)


def require(reason) -> None:
    """Go on when a permission check found nothing against (*reason* is None); otherwise
    refuse with its reason: ``require(permissions.why_not_edit(member, post))``."""
    if reason is not None:
        raise NotAllowed(reason)
