"""The releases one case affects and the releases that fix it, per repository,
from secdesk's mirrors: what the advisory states."""

from dataclasses import dataclass

from secdesk.cases.models import Case
from secdesk.fixes import mirror
from secdesk.fixes.affected import CaseCommits, Outcome, affected_releases
from secdesk.fixes.git import GitFailed
from secdesk.fixes.models import Repository
from secdesk.fixes.releases import ReleaseScheme


@dataclass
class RepositoryReleases:
    repository: Repository
    outcome: Outcome

    def as_json(self) -> dict:
        return {"repository": self.repository.name, **self.outcome.as_json()}


def case_releases(case: Case, *, fetch: bool = False) -> list[RepositoryReleases]:
    """Per repository of the case's project, its affected and fixed releases.
    A commit recorded without a repository belongs to the project's only one.
    With `fetch` the mirrors are brought up to date first; a mirror is cloned
    when there is none yet."""
    repositories = list(case.project.repositories.order_by("name"))
    only = repositories[0].pk if len(repositories) == 1 else None
    introduced = list(case.introduced_by.values_list("repository_id", "commit"))
    fixed = list(case.fixes.values_list("repository_id", "commit"))
    answers = []
    for repository in repositories:
        mine = (repository.pk, None) if only else (repository.pk,)
        commits = CaseCommits(
            case.reference,
            introduced=sorted({commit for repo, commit in introduced if repo in mine}),
            fixed=sorted({commit for repo, commit in fixed if repo in mine}),
        )
        try:
            git = mirror.update(repository) if fetch else mirror.opened(repository)
            [outcome] = affected_releases(git, ReleaseScheme(repository.release_tags), [commits])
        except GitFailed as err:
            outcome = Outcome(commits.id, error=f"cannot read {repository}: {err.message}")
        answers.append(RepositoryReleases(repository, outcome))
    return answers
