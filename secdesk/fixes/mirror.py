"""secdesk's own mirror of each project repository, in the data directory.

A mirror is a cache: any host can clone it again from the repository's URL,
so several hosts never need to share one.
"""

import fcntl
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from secdesk.fixes.git import Git
from secdesk.fixes.models import Repository


def path_of(repository: Repository) -> Path:
    return Path(settings.DATA_DIR) / "git" / repository.project.slug / f"{repository.name}.git"


def update(repository: Repository) -> Git:
    """Clone the repository as a mirror, or fetch into the mirror it has, then
    write the commit-graph that keeps later walks fast."""
    path = path_of(repository)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(path):
        if path.is_dir():
            git = Git(path)
            git.run("fetch", "--prune", "--quiet", "origin")
        else:
            git = _clone(repository.url, path)
        git.write_commit_graph()
    # Only when the mirror was refreshed, not a change of the case's state.
    Repository.objects.filter(pk=repository.pk).update(fetched_at=timezone.now())
    return git


def _clone(url: str, path: Path) -> Git:
    # Clone beside the final place and rename, so a clone that dies half-way
    # never leaves a mirror that looks complete.
    partial = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}-"))
    try:
        # `--` keeps a URL that starts with a dash from being read as an option.
        Git(path.parent).run("clone", "--mirror", "--quiet", "--", url, str(partial))
        partial.rename(path)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return Git(path)


@contextmanager
def _locked(path: Path):
    """One update of a mirror at a time on this host (the web and the worker may
    both ask for one)."""
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
