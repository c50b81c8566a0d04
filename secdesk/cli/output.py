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
from functools import cached_property

from secdesk.lib.text import visible

# rich takes a fifth of a second to import: it is imported when something is
# shown to a person, so `--help` and the answers of --json do not wait for it.


def _cell(value):
    from rich.text import Text

    if isinstance(value, list | tuple):
        return Text("\n".join(visible(str(item)) for item in value))
    return Text(visible("" if value is None else str(value)))


def table(*columns: str, rows: Iterable[Iterable]):
    """A table of one line per row: in a cell, a line end is written out too.
    A list in a cell is shown whole, one item a line (the recipients of a mail);
    a value wider than its column is folded onto the next line, never cut."""
    from rich.table import Table

    shown = Table(box=None)
    for column in columns:
        shown.add_column(column, overflow="fold")
    for row in rows:
        shown.add_row(*(_cell(cell) for cell in row))
    return shown


def _terminal(**options):
    from rich.console import Console

    class Terminal(Console):
        def render_str(self, text: str, **options):
            options.update(markup=False, emoji=False, highlight=False)
            return super().render_str(visible(text, lines=True), **options)

    return Terminal(highlight=False, soft_wrap=True, **options)


class Output:
    def __init__(self, as_json: bool):
        self.as_json = as_json

    @cached_property
    def console(self):
        return _terminal()

    @cached_property
    def err(self):
        return _terminal(stderr=True)

    def emit(self, data, human: Callable[..., None] | str | None = None):
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
