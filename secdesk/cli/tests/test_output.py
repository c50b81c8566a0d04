"""Whatever a command prints, a terminal shows as text: no markup, no escape
sequences acted on."""

import io

from secdesk.cli.output import Output, table


def _printed(show) -> str:
    out = Output(as_json=False)
    out.console.file = io.StringIO()
    show(out.console)
    return out.console.file.getvalue()


def test_the_cli_prints_markup_and_escape_sequences_as_text():
    hostile = "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\ [link=http://evil]x[/link] :smile:"
    shown = "\\x1b]8;;http://evil\\x1b\\click\\x1b]8;;\\x1b\\ [link=http://evil]x[/link] :smile:"
    assert _printed(lambda console: console.print(hostile)).strip() == shown
    cell = _printed(lambda console: console.print(table("subject", rows=[[hostile + "\nrow"]])))
    assert "\x1b" not in cell and "\\x0arow" in cell and "[link=http://evil]x[/link]" in cell
