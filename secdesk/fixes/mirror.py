"""secdesk's own mirror of each project repository, in the data directory.

A mirror is a cache: any host can clone it again from the repository's URL,
so several hosts never need to share one.
"""

import fcntl
import logging
import os
import shutil
import tempfile
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils import timezone

from secdesk.fixes.git import Git, GitFailed
from secdesk.fixes.models import Repository
from secdesk.lib import private

logger = logging.getLogger("secdesk.fixes.mirror")

# How old a mirror may get before the worker fetches it again; a deployment
# may set MIRROR_FETCH_MINUTES in its settings.
DEFAULT_FETCH_MINUTES = 15

# Repository pk → when this process last failed to fetch it: an unreachable
# host is tried once per interval, not on every tick.
_failed_at: dict[int, object] = {}


def path_of(repository: Repository) -> Path:
    return Path(settings.DATA_DIR) / "git" / repository.project.slug / f"{repository.name}.git"


def update(repository: Repository) -> Git:
    """Clone the repository as a mirror, or fetch into the mirror it has, then
    write the commit-graph that keeps later walks fast."""
    path = path_of(repository)
    private.make_dir(path.parent)
    with _locked(path):
        if path.is_dir():
            git = _private(path)
            git.run("fetch", "--prune", "--quiet", "origin")
        else:
            git = _clone(repository.url, path)
        git.write_commit_graph()
    # Only when the mirror was refreshed, not a change of the case's state.
    Repository.objects.filter(pk=repository.pk).update(fetched_at=timezone.now())
    return git


def opened(repository: Repository) -> Git:
    """The mirror as it is, cloned first if there is none yet."""
    path = path_of(repository)
    return Git(path) if path.is_dir() else update(repository)


def fetch_stale() -> list[str]:
    """The worker's step: fetch every mirror not fetched for a while (or never).
    A repository that cannot be reached is logged by name and retried on a
    later tick; it never stops the others. Answers the names fetched."""
    minutes = getattr(settings, "MIRROR_FETCH_MINUTES", DEFAULT_FETCH_MINUTES)
    cutoff = timezone.now() - timedelta(minutes=minutes)
    stale = Repository.objects.select_related("project").filter(
        models.Q(fetched_at__isnull=True) | models.Q(fetched_at__lt=cutoff)
    )
    fetched = []
    for repository in stale.order_by("fetched_at", "pk"):
        if _failed_at.get(repository.pk, cutoff) > cutoff:
            continue
        try:
            update(repository)
        except (GitFailed, OSError) as err:
            _failed_at[repository.pk] = timezone.now()
            # The repository's name only: git's message may quote a URL with
            # credentials in it.
            logger.warning("mirror fetch failed for %s (%s)", repository, type(err).__name__)
            continue
        _failed_at.pop(repository.pk, None)
        fetched.append(str(repository))
    return fetched


def _clone(url: str, path: Path) -> Git:
    # Clone beside the final place and rename, so a clone that dies half-way
    # never leaves a mirror that looks complete.
    partial = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}-"))
    try:
        # `--` keeps a URL that starts with a dash from being read as an option.
        # No hard links to a local repository's files: making the mirror's
        # files private must not change the original's.
        _private(path.parent).run(
            "clone", "--mirror", "--no-hardlinks", "--quiet", "--", url, str(partial)
        )
        partial.rename(path)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return _private(path)


def _private(path: Path) -> Git:
    """git that writes into a mirror: the files it makes are secdesk's alone (an
    embargoed fix may be in there), whatever the umask secdesk was started with."""
    return Git(path, umask=private.UMASK)


@contextmanager
def _locked(path: Path):
    """One update of a mirror at a time on this host (the web and the worker may
    both ask for one)."""
    fd = os.open(path.with_name(path.name + ".lock"), os.O_WRONLY | os.O_CREAT, private.FILE)
    with os.fdopen(fd, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
