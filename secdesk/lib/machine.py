"""A state machine as data: a transition table and the one function that applies it."""

from dataclasses import dataclass

from secdesk.errors import TransitionRefused


@dataclass(frozen=True)
class Machine:
    name: str
    states: tuple[str, ...]
    events: tuple[str, ...]
    # (state, event) -> next state. A pair that is absent is not allowed.
    table: dict[tuple[str, str], str]

    def __post_init__(self):
        for (state, event), target in self.table.items():
            assert state in self.states and target in self.states, (state, target)
            assert event in self.events, event

    def allowed(self, state: str) -> list[str]:
        return [event for event in self.events if (state, event) in self.table]

    def apply(self, state: str, event: str) -> str:
        """The state after `event`, or TransitionRefused naming the moves allowed."""
        try:
            return self.table[(state, event)]
        except KeyError:
            raise TransitionRefused(self.name, state, event, self.allowed(state)) from None
