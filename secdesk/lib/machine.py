"""A state machine as data: a transition table and the one function that applies it."""

from dataclasses import dataclass, field

from secdesk.errors import TransitionRefused


@dataclass(frozen=True)
class Machine:
    name: str
    states: tuple[str, ...]
    events: tuple[str, ...]
    # (state, event) -> next state. A pair that is absent is not allowed.
    table: dict[tuple[str, str], str]
    # event -> the command a person runs for it (`case duplicate`), which is what
    # a refusal names; an event nobody runs by hand is named as it is.
    commands: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        for (state, event), target in self.table.items():
            assert state in self.states and target in self.states, (state, target)
            assert event in self.events, event
        assert set(self.commands) <= set(self.events), self.commands

    def allowed(self, state: str) -> list[str]:
        return [event for event in self.events if (state, event) in self.table]

    def command(self, event: str) -> str:
        return self.commands.get(event, event.replace("_", " "))

    def apply(self, state: str, event: str) -> str:
        """The state after `event`, or TransitionRefused naming the commands allowed."""
        try:
            return self.table[(state, event)]
        except KeyError:
            allowed = self.allowed(state)
            raise TransitionRefused(
                self.name,
                state,
                event,
                allowed,
                command=self.command(event),
                allowed_commands=[self.command(e) for e in allowed],
            ) from None
