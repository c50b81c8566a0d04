"""The refusals secdesk gives for bad input and disallowed steps.

Each one carries a single line that names the rule, so the CLI, the web UI and
the API can show it as it is: never a stack trace.
"""


class Refused(Exception):
    """A step was refused; `str(err)` is the one-line reason."""

    rule = "refused"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadInput(Refused):
    rule = "bad input"


class NotFound(Refused):
    rule = "not found"


class NotAllowed(Refused):
    rule = "permission"


class PolicyRefused(Refused):
    rule = "policy"


class TransitionRefused(Refused):
    rule = "transition"

    def __init__(
        self,
        machine: str,
        state: str,
        event: str,
        allowed: list[str],
        *,
        command: str,
        allowed_commands: list[str],
    ):
        self.machine = machine
        self.state = state
        self.event = event
        self.allowed = allowed
        moves = ", ".join(f"`{c}`" for c in allowed_commands) if allowed_commands else "none"
        super().__init__(
            f"{machine}: cannot `{command}` from state {state!r}; allowed from {state!r}: {moves}"
        )
