"""`secdesk git …`: affected and fixed releases from git, and the embargo leak guard."""

import json
import sys
from contextlib import contextmanager

from secdesk.cli.output import table
from secdesk.errors import BadInput
from secdesk.fixes.affected import CaseCommits, affected_releases
from secdesk.fixes.git import Git
from secdesk.fixes.releases import ReleaseScheme


def affected(args, out):
    scheme = ReleaseScheme(args.tags)
    lines = _read_batch(args.batch)
    git = Git.open(args.repo)
    if not git.has_commit_graph():
        git.write_commit_graph()
    cases, broken = _parse_batch(lines)
    with _progress(out) as progress:
        outcomes = affected_releases(git, scheme, cases, progress)
    answers = [outcome.as_json() for outcome in outcomes]
    for line_index, error in broken.items():
        answers.insert(line_index, {"id": None, "error": error})
    if out.as_json:
        for answer in answers:
            out.json_line(answer)
    else:
        out.emit(answers, lambda console: console.print(_table(answers)))


def leak_check(args, out):
    # The leak guard reads the cases, so it loads Django; `affected` does not.
    from secdesk.advisories.leakcheck import find_leaks

    check = find_leaks(Git.open(args.repo), _rev_args(args.revs))
    for unchecked in check.unchecked:
        out.err.print(f"secdesk: warning: {unchecked}", markup=False)
    refused = check.leaks or (check.unchecked and not args.allow_unchecked)
    lines = [str(leak) for leak in check.leaks]
    if check.unchecked and not args.allow_unchecked:
        lines.append(
            f"refused: {len(check.unchecked)} embargoed fix(es) could not be checked "
            "(--allow-unchecked passes anyway)"
        )
    out.emit(
        {
            "leaks": [leak.as_json() for leak in check.leaks],
            "unchecked": [unchecked.as_json() for unchecked in check.unchecked],
        },
        "\n".join(lines) or "no commit mentions an embargoed case",
    )
    return 1 if refused else 0


def _read_batch(path: str) -> list[str]:
    if path == "-":
        return sys.stdin.read().splitlines()
    try:
        with open(path, encoding="utf-8") as batch:
            return batch.read().splitlines()
    except OSError as err:
        raise BadInput(f"--batch {path}: {err.strerror}") from None
    except UnicodeDecodeError:
        raise BadInput(f"--batch {path}: not UTF-8 text") from None


def _parse_batch(lines: list[str]):
    """The cases, and for each line that is not one, its place among the answers
    and why. Blank lines are skipped; every other line gets exactly one answer."""
    cases, broken = [], {}
    for number, line in enumerate((line for line in lines if line.strip()), start=1):
        try:
            cases.append(_case(json.loads(line)))
        except (ValueError, TypeError) as err:
            broken[number - 1] = f"line {number}: {err}"
    return cases, broken


def _case(record) -> CaseCommits:
    if not isinstance(record, dict):
        raise TypeError('expected an object {"id", "introduced", "fixed"}')
    lists = [record.get(key, []) for key in ("introduced", "fixed")]
    if not all(isinstance(revs, list) and all(isinstance(r, str) for r in revs) for revs in lists):
        raise TypeError('"introduced" and "fixed" must be lists of commit ids')
    if "id" not in record:
        raise TypeError('missing "id"')
    return CaseCommits(str(record["id"]), *lists)


def _rev_args(revs: str) -> list[str]:
    """The range as git rev-list arguments. Only `--not` and `--all` may look
    like options: anything else starting with a dash could steer git elsewhere."""
    words = revs.split()
    if not words:
        raise BadInput("--range: give the commits to check, e.g. A..B")
    for word in words:
        if word.startswith("-") and word not in ("--not", "--all"):
            raise BadInput(
                f"--range: {word!r} is not a revision (only --not and --all may "
                "appear besides revisions)"
            )
    return words


@contextmanager
def _progress(out):
    if out.as_json or not out.err.is_terminal:
        yield None
        return
    # rich's progress and table modules take a fifth of a second to import:
    # scripts that ask for --json do not wait for them.
    from rich.progress import BarColumn, Progress, TextColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), console=out.err, transient=True
    ) as bar:
        task = bar.add_task("reading release tags", total=1)

        def report(step, done, total):
            bar.update(task, description=step, completed=done, total=total)

        yield report


def _table(answers):
    cells = []
    for answer in answers:
        if "error" in answer:
            cells.append([answer["id"] or "-", f"error: {answer['error']}", "", "", ""])
        else:
            cells.append(
                [
                    answer["id"],
                    " ".join(answer["affected"]) or "none",
                    answer["first_affected"] or "-",
                    answer["last_affected"] or "-",
                    " ".join(answer["fixed_in"]) or "none",
                ]
            )
    return table("case", "affected", "first", "last", "fixed in", rows=cells)
