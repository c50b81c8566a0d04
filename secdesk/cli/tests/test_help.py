"""Every command and every option of `secdesk` is in the help: a command
missing from its group's listing, or an option without a word on what it
does, is one a new user never finds."""

import argparse
import subprocess

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
