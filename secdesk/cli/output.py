"""How a command answers: a readable text for people, one JSON document with --json."""

import json
import sys
from collections.abc import Callable

from rich.console import Console


class Output:
    def __init__(self, as_json: bool):
        self.as_json = as_json
        self.console = Console(highlight=False, soft_wrap=True)
        self.err = Console(stderr=True, highlight=False, soft_wrap=True)

    def emit(self, data, human: Callable[[Console], None] | str | None = None):
        if self.as_json:
            sys.stdout.write(json.dumps(data, indent=2, default=_plain) + "\n")
        elif callable(human):
            human(self.console)
        elif human is not None:
            self.console.print(human, markup=False)

    def json_line(self, data):
        sys.stdout.write(json.dumps(data, default=_plain) + "\n")
        sys.stdout.flush()


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
