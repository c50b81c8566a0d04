"""The `secdesk` command: every team action, for people and for scripts.

The parser is built from light modules (secdesk/cli/args/); a command's module,
which loads Django and the models, is imported only once the arguments are
parsed, so `--help`, a usage error and `git affected` answer without Django.

Exit status: 0 done, 2 refused or bad input (one line on stderr naming the rule),
1 an unexpected failure (one line; details only with SECDESK_DEBUG).
"""

import argparse
import importlib
import os
import sys

from secdesk.errors import Refused
from secdesk.lib.env import ConfigError


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line that says what is wrong."""

    def error(self, message):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "secdesk.settings")
    import django

    django.setup()


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole parser; with `only`, only that command gets its arguments
    (building all of them costs a tenth of a second, mostly argparse's
    look-ups of translations)."""
    from secdesk.cli.args import add_commands

    parser = Parser(
        prog="secdesk", description="A security response desk for open-source projects."
    )
    parser.add_argument("--json", action="store_true", help="answer with JSON, for scripts")
    parser.add_argument(
        "--as",
        dest="acting",
        metavar="EMAIL",
        default=os.environ.get("SECDESK_AS"),
        help="the person acting (default: $SECDESK_AS)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True
    add_commands(commands, only)
    return parser


def command_named(argv: list[str]) -> str | None:
    """The command word of `argv`: the first word that is neither an option of
    `secdesk` itself nor its value. None for `secdesk --help` and the like."""
    words = iter(argv)
    for word in words:
        if len(word) > 2 and "--as".startswith(word):  # argparse takes "--a" for "--as"
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def handler_of(args):
    """The function that carries out the parsed command: "cases:receive" is
    `receive` in secdesk/cli/cases.py, imported only now."""
    module, name = args.handler.split(":")
    return getattr(importlib.import_module(f"secdesk.cli.{module}"), name)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(only=command_named(argv) or "")
    args = parser.parse_args(argv)
    from secdesk.cli.output import Output

    out = Output(args.json)
    try:
        if getattr(args, "needs_django", True):
            _setup_django()
        code = handler_of(args)(args, out)
    except Refused as err:
        out.err.print(f"secdesk: {err.message}", markup=False)
        sys.exit(2)
    except ConfigError as err:
        # A malformed setting, read at start: the message names the variable.
        out.err.print(f"secdesk: {err}", markup=False)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as err:  # the last line of defence: never a stack trace
        if os.environ.get("SECDESK_DEBUG"):
            raise
        out.err.print(
            f"secdesk: unexpected failure ({type(err).__name__}); "
            "run again with SECDESK_DEBUG=1 for details",
            markup=False,
        )
        sys.exit(1)
    sys.exit(code or 0)
