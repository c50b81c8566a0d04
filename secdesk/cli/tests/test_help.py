"""Every command and every option of `secdesk` is in the help: a command
missing from its group's listing, or an option without a word on what it
does, is one a new user never finds."""

import argparse
import subprocess
import sys

import pytest

from secdesk.cli.main import build_parser


def _subcommands(parser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield action


def _walk(parser, path=()):
    yield path, parser
    for group in _subcommands(parser):
        for name, sub in group.choices.items():
            yield from _walk(sub, (*path, name))


def test_every_command_is_listed_in_its_groups_help():
    unlisted = []
    for path, parser in _walk(build_parser()):
        for group in _subcommands(parser):
            listed = {choice.dest for choice in group._choices_actions}
            unlisted += [" ".join((*path, name)) for name in group.choices if name not in listed]
    assert unlisted == []


def test_every_option_and_argument_has_help_text():
    silent = []
    for path, parser in _walk(build_parser()):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction | argparse._HelpAction):
                continue
            if not action.help:
                silent.append(f"{' '.join(path)} {action.option_strings or action.dest}")
    assert silent == []


def test_the_help_of_secdesk_and_its_groups_names_the_commands_the_readme_uses(process_cli):
    def shown(*args):
        done = subprocess.run(
            [process_cli.exe, *args, "--help"],
            env=process_cli.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "policy" in shown()
    assert "show" in shown("policy")
    assert "list" in shown("outbox")
    quarantine = shown("quarantine")
    assert "list" in quarantine and "show" in quarantine
    assert "show" in shown("project")
    serve = shown("serve")
    assert "the web interface" in serve
    assert "requests served at once" in shown("web")


_LOADS_DJANGO = """
import sys
from secdesk.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("django" in sys.modules, file=sys.stderr)
"""


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["case", "list", "--help"], ["git", "affected", "--batch", "-"]],
    ids=["help", "command-help", "git-affected"],
)
def test_help_and_git_affected_answer_without_loading_django(process_cli, tmp_path, argv):
    """They answer at once: Django and the models are loaded only by commands
    that read the database."""
    if argv[0] == "git":
        subprocess.run(["git", "init", "--quiet", str(tmp_path)], check=True)
        argv = [*argv, "--repo", str(tmp_path), "--tags", r"^v(\d+)$"]
    done = subprocess.run(
        [sys.executable, "-c", _LOADS_DJANGO, *argv],
        env=process_cli.env,
        input="",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stderr.splitlines()[-1] == "False", done.stderr
