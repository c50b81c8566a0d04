"""A released project's history, built once for the git tests.

v1.0.0 ── v1.0-maint: v1.0.1                      (before both bugs)
  │
master: intro_a (on a topic branch, merged) · intro_b · v1.1.0
  │                                        └── v1.1-maint: v1.1.1 · backport_a (-x)
  │                                                        · backport_b (no trailer) · v1.1.2
  │                                                        · fix_c · v1.1.3
master: fix_a · fix_b · v1.2.0 (+ tag "nightly") · v1.3.0
  └── nowhere: a commit on no branch, after v1.2.0
"""

from dataclasses import dataclass

import pytest

# The CLI fixtures: the command in this process, a team through it.
from secdesk.cli.tests.conftest import cli, team  # noqa: F401
from secdesk.fixes.tests.history import History

RELEASES = r"^v(\d+)\.(\d+)\.(\d+)$"

PARSER = "int parse(const char *s)\n{\n    return s[0] + s[1];\n}\n"
PARSER_FIXED = "int parse(const char *s)\n{\n    return s[0] ? s[0] + s[1] : 0;\n}\n"
CACHE = "static int entries[16];\nvoid put(int i, int v) { entries[i] = v; }\n"
CACHE_FIXED = "static int entries[16];\nvoid put(int i, int v) { if (i < 16) entries[i] = v; }\n"


@dataclass
class Released:
    history: History
    commits: dict[str, str]
    # Each fix and the backports the history holds of it: the ground truth's
    # idea of "a fix commit".
    carried_by: dict[str, set[str]]

    @property
    def path(self):
        return self.history.path

    def __getitem__(self, name: str) -> str:
        return self.commits[name]


@pytest.fixture(scope="session")
def released_template(tmp_path_factory) -> Released:
    h = History.create(tmp_path_factory.mktemp("released") / "work")
    c = {}
    c["start"] = h.commit("Start the project", {"README": "hello\n", "parser.c": "int x;\n"})
    h.tag("v1.0.0", annotated=True)
    h.checkout("v1.0-maint", new_at="v1.0.0")
    c["maint_1_0"] = h.commit("Note 1.0.1", {"NEWS": "1.0.1\n"})
    h.tag("v1.0.1")

    h.checkout("topic-parser", new_at="master")
    c["intro_a"] = h.commit("Parse two characters at once", {"parser.c": PARSER})
    h.checkout("master")
    c["logo"] = h.commit("Add a logo", {"logo.txt": "*\n"})
    c["merge"] = h.merge("topic-parser", "Merge the faster parser")
    c["intro_b"] = h.commit("Add a cache", {"cache.c": CACHE})
    h.tag("v1.1.0", annotated=True)

    h.checkout("v1.1-maint", new_at="v1.1.0")
    c["maint_1_1"] = h.commit("Translate messages", {"po.txt": "fr\n"})
    h.tag("v1.1.1")

    h.checkout("master")
    c["readme"] = h.commit("Reword the README", {"README": "hello, world\n"})
    c["fix_a"] = h.commit("parser: check the length (CVE-2026-1001)", {"parser.c": PARSER_FIXED})
    c["fix_b"] = h.commit("cache: bound the index (CVE-2026-1002)", {"cache.c": CACHE_FIXED})
    h.tag("v1.2.0")
    h.tag("nightly")

    h.checkout("v1.1-maint")
    c["backport_a"] = h.cherry_pick(c["fix_a"])
    c["backport_b"] = h.cherry_pick(c["fix_b"], trailer=False)
    h.tag("v1.1.2")
    c["fix_c"] = h.commit("po: escape quotes (CVE-2026-1003)", {"po.txt": "fr\nquoted\n"})
    h.tag("v1.1.3")

    h.checkout("master")
    c["news_1_3"] = h.commit("Start 1.3", {"NEWS": "1.3\n"})
    h.tag("v1.3.0", annotated=True)

    h.git("checkout", "--quiet", "--detach", "v1.2.0")
    c["nowhere"] = h.commit("An experiment nobody kept", {"README": "experiment\n"})
    h.checkout("master")
    carried_by = {
        c["fix_a"]: {c["fix_a"], c["backport_a"]},
        c["fix_b"]: {c["fix_b"], c["backport_b"]},
        c["fix_c"]: {c["fix_c"]},
        c["nowhere"]: {c["nowhere"]},
    }
    return Released(h, c, carried_by)


@pytest.fixture
def released(released_template, tmp_path) -> Released:
    """A copy per test: secdesk may write a commit-graph into the repository."""
    copy = released_template.history.copy(tmp_path / "work")
    return Released(copy, released_template.commits, released_template.carried_by)
