"""How a command answers: a readable text for people, one JSON document with --json.

Much of what a command shows came from outside — a mail's subject and
sender, a web form's text — and a terminal acts on the escape sequences in it
(a hidden link, concealed text), as rich acts on its markup. So the consoles
here show every string they are given as it is: control characters written
out (`secdesk.lib.text.visible`), never markup, never emoji codes. No command
can forget it: a plain string printed, or a cell of `table`, is shown so."""

import json
import sys
from collections.abc import Callable, Iterable

from rich.console import Console
from rich.table import Table
from rich.text import Text

from secdesk.lib.text import visible


class _Terminal(Console):
    def render_str(self, text: str, **options) -> Text:
        options.update(markup=False, emoji=False, highlight=False)
        return super().render_str(visible(text, lines=True), **options)


def table(*columns: str, rows: Iterable[Iterable]) -> Table:
    """A table of one line per row: in a cell, a line end is written out too."""
    shown = Table(*columns, box=None)
    for row in rows:
        shown.add_row(*(Text(visible("" if cell is None else str(cell))) for cell in row))
    return shown


class Output:
    def __init__(self, as_json: bool):
        self.as_json = as_json
        self.console = _Terminal(highlight=False, soft_wrap=True)
        self.err = _Terminal(stderr=True, highlight=False, soft_wrap=True)

    def emit(self, data, human: Callable[[Console], None] | str | None = None):
        if self.as_json:
            sys.stdout.write(json.dumps(data, indent=2, default=_plain) + "\n")
        elif callable(human):
            human(self.console)
        elif human is not None:
            self.console.print(human)

    def json_line(self, data):
        sys.stdout.write(json.dumps(data, default=_plain) + "\n")
        sys.stdout.flush()


def _plain(value):
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
