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
    """The actor may not do this."""
