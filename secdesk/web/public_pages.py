"""The public pages: published advisories, their files and feed, the security
process pages and security.txt. No login: they show only published cases and
the policy."""

import json

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from secdesk.advisories import csaf_provider, policy_docs
from secdesk.advisories.formats.cve_record import full_record
from secdesk.advisories.published import documents_of, facts_of, finished
from secdesk.errors import NotFound
from secdesk.lib.dates import stamp
from secdesk.teams.models import Project
from secdesk.web.decorators import public_view


def _documents(advisory_id: str) -> dict:
    try:
        return documents_of(advisory_id)
    except NotFound as err:
        raise Http404(err.message) from None


def _project(slug: str) -> Project:
    project = Project.objects.select_related("policy").filter(slug=slug).first()
    if project is None:
        raise Http404(f"no project {slug}")
    return project


def _json(document: dict) -> HttpResponse:
    return HttpResponse(
        json.dumps(document, indent=2, ensure_ascii=False) + "\n",
        content_type="application/json; charset=utf-8",
    )


# A page of the index; the feed carries the newest FEED_ENTRIES.
ADVISORIES_PER_PAGE = 50
FEED_ENTRIES = 50


@public_view
@require_GET
def index(request):
    publications = finished()
    project = None
    if slug := request.GET.get("project"):
        project = _project(slug)
        publications = publications.filter(case__project=project)
    page = Paginator(publications, ADVISORIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "advisories/index.html",
        {"advisories": facts_of(page), "page": page, "project": project},
    )


@public_view
@require_GET
def feed(request):
    # The latest change first: a revised advisory comes back to the top.
    advisories = sorted(facts_of(finished()[:FEED_ENTRIES]), key=_updated, reverse=True)
    updated = _updated(advisories[0]) if advisories else stamp(timezone.now())
    return render(
        request,
        "advisories/feed.atom",
        {"advisories": advisories, "site": settings.SITE_URL, "updated": updated},
        content_type="application/atom+xml; charset=utf-8",
    )


def _updated(facts: dict) -> str:
    # Documents stored before revisions existed have no `updated`.
    return facts.get("updated") or facts["published"]


@public_view
@require_GET
def advisory(request, advisory_id):
    return render(request, "advisories/advisory.html", {"facts": _documents(advisory_id)["facts"]})


@public_view
@require_GET
def announcement(request, advisory_id):
    return HttpResponse(_documents(advisory_id)["text"], content_type="text/plain; charset=utf-8")


@public_view
@require_GET
def osv(request, advisory_id):
    return _json(_documents(advisory_id)["osv"])


def _csaf_json(document: dict) -> HttpResponse:
    return HttpResponse(
        csaf_provider.serialize(document), content_type="application/json; charset=utf-8"
    )


@public_view
@require_GET
def csaf(request, advisory_id):
    return _csaf_json(_documents(advisory_id)["csaf"])


def _csaf_at(year: int, name: str) -> bytes:
    try:
        document = csaf_provider.document_at(year, name)
    except NotFound as err:
        raise Http404(err.message) from None
    return csaf_provider.serialize(document)


@public_view
@require_GET
def csaf_file(request, year, name):
    return HttpResponse(_csaf_at(year, name), content_type="application/json; charset=utf-8")


@public_view
@require_GET
def csaf_hash(request, year, name, algorithm):
    return _text(csaf_provider.hash_file(_csaf_at(year, name), algorithm, f"{name}.json"))


@public_view
@require_GET
def csaf_provider_metadata(request):
    return _json(csaf_provider.provider_metadata())


@public_view
@require_GET
def csaf_feed(request):
    return _json(csaf_provider.feed())


@public_view
@require_GET
def cve_record(request, advisory_id, cve_id):
    container = _documents(advisory_id)["cve"].get(cve_id)
    if container is None:
        raise Http404(f"{advisory_id} has no {cve_id}")
    return _json(container)


@public_view
@require_GET
def full_cve_record(request, advisory_id, cve_id):
    documents = _documents(advisory_id)
    container = documents["cve"].get(cve_id)
    if container is None:
        raise Http404(f"{advisory_id} has no {cve_id}")
    return _json(full_record(cve_id, container, documents["facts"]))


@public_view
@require_GET
def security_index(request):
    return render(request, "advisories/security_index.html", {"projects": Project.objects.all()})


@public_view
@require_GET
def security_page(request, slug):
    return render(request, "advisories/security_process.html", policy_docs.context(_project(slug)))


@public_view
@require_GET
def security_issues(request, slug):
    return HttpResponse(
        policy_docs.issues_section(_project(slug)), content_type="text/markdown; charset=utf-8"
    )


def _text(body: str) -> HttpResponse:
    return HttpResponse(body, content_type="text/plain; charset=utf-8")


@public_view
@require_GET
def security_txt(request, slug):
    return _text(policy_docs.security_txt(_project(slug)))


@public_view
@require_GET
def well_known_security_txt(request):
    try:
        project = policy_docs.site_default_project()
    except NotFound as err:
        raise Http404(err.message) from None
    canonical = [
        f"{settings.SITE_URL}/.well-known/security.txt",
        policy_docs.urls(project)["security_txt"],
    ]
    return _text(policy_docs.security_txt(project, canonical=canonical))


@public_view
@require_GET
def openpgp_key(request, slug):
    key = policy_docs.contact_of(_project(slug)).openpgp_key
    if not key:
        raise Http404("this project publishes no OpenPGP key")
    return HttpResponse(key, content_type="application/pgp-keys")
