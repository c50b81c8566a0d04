"""Helpers the command modules share."""

import sys

from secdesk.errors import BadInput


def acting(args):
    from secdesk.teams.actions import person_by_email

    return person_by_email(args.acting)


def visible_case(args, person):
    """The case named on the command line, if the acting person may see it.

    A case the person may not see is "not found", as on the web: its existence
    is not revealed.
    """
    from secdesk.cases.access import visible_case as lookup

    return lookup(person, args.case)


def read_text(value: str) -> str:
    """A text argument: as given, or `-` for standard input, or `@FILE` for a file."""
    if value == "-":
        return sys.stdin.read()
    if value.startswith("@"):
        try:
            with open(value[1:], encoding="utf-8") as f:
                return f.read()
        except OSError as err:
            raise BadInput(f"cannot read {value[1:]}: {err.strerror}") from None
        except UnicodeDecodeError:
            raise BadInput(f"{value[1:]} is not UTF-8 text") from None
    return value


CASE_HELP = (
    "the case, as project#number (example#8), or its number alone when only one "
    "project you are in has it"
)


def case_arg(parser):
    parser.add_argument("case", metavar="CASE", help=CASE_HELP)


def subcommands(parser):
    """The sub-commands of a command group, for another module to add to:
    argparse offers no public way to reach them."""
    return next(a for a in parser._actions if a.dest == "action")


def positive_int(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value
