"""Text that came from outside (a mail, a web form), made harmless where its
control characters would act: in a terminal, or in a header secdesk writes."""

import unicodedata

# Control characters (C0, DEL, C1), format characters (bidirectional
# overrides, zero-width joiners and spaces) and line or paragraph separators:
# a terminal or a mail reader acts on them instead of showing them.
_HIDDEN = ("Cc", "Cf", "Zl", "Zp")


def _hidden(ch: str) -> bool:
    return unicodedata.category(ch) in _HIDDEN


def visible(text: str, *, lines: bool = False) -> str:
    """`text` with each control or format character written out, ESC as \\x1b,
    U+202E as \\u202e; with `lines`, line ends and tabs are kept."""
    kept = "\n\t" if lines else ""
    return "".join(
        ch
        if ch in kept or not _hidden(ch)
        else (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        for ch in str(text)
    )


def one_line(text: str, at_most: int) -> str:
    """`text` without control or format characters, its spaces collapsed, cut
    to `at_most` characters (the last an ellipsis when cut)."""
    text = " ".join("".join(" " if _hidden(ch) else ch for ch in text).split())
    return text if len(text) <= at_most else text[: at_most - 1].rstrip() + "…"
