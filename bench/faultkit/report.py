"""A row of the faults table, and the table."""

from dataclasses import asdict, dataclass, field


@dataclass
class Row:
    fault: str
    happened: str = ""
    sent: int = 0
    stored: int = 0
    lost: int = 0
    duplicated: int = 0
    announcements_expected: int = 0
    announcements_sent: int = 0
    # Anything else the fault must not leave: half-done actions, stack traces,
    # a broken audit trail. Each a reason the row fails.
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return (
            not self.lost
            and not self.duplicated
            and self.announcements_sent == self.announcements_expected
            and not self.problems
        )

    def as_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def table(rows: list[Row]):
    from rich.markup import escape
    from rich.table import Table

    shown = Table(title="secdesk under faults", show_lines=True)
    for name, justify in (
        ("fault", "left"),
        ("what happened", "left"),
        ("sent", "right"),
        ("stored", "right"),
        ("lost", "right"),
        ("dup.", "right"),
        ("announcements\nexpected / sent", "right"),
        ("s", "right"),
    ):
        shown.add_column(name, justify=justify, overflow="fold")
    for row in rows:
        happened = escape(row.happened)
        if row.problems:
            happened += "\n[red]" + escape("; ".join(row.problems)) + "[/red]"
        shown.add_row(
            row.fault,
            happened,
            str(row.sent),
            str(row.stored),
            _flag(row.lost),
            _flag(row.duplicated),
            f"{row.announcements_expected} / {row.announcements_sent}",
            f"{row.seconds:.0f}",
        )
    return shown


def _flag(n: int) -> str:
    return f"[red]{n}[/red]" if n else "0"
