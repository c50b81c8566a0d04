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


def test_a_list_in_a_table_cell_is_shown_whole_one_item_a_line():
    many = [f"member{n}@a-rather-long-domain.example" for n in range(6)]
    printed = _printed(lambda console: console.print(table("id", "to", rows=[[1, many]])))
    assert [line.split()[-1] for line in printed.splitlines()[1:]] == many


def test_a_value_wider_than_its_column_is_folded_not_cut():
    wide = "x" * 70 + "@example.org"
    out = Output(as_json=False)
    out.console.file = io.StringIO()
    out.console.width = 40
    out.console.print(table("id", "to", rows=[[1, wide]]))
    assert "".join(line.split()[-1] for line in out.console.file.getvalue().splitlines()[1:]) == (
        wide
    )
