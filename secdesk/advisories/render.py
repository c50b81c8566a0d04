"""All formats of one advisory at once, from one set of facts."""

from django.utils import timezone

from secdesk.advisories.formats import csaf, cve_record, osv, text
from secdesk.advisories.models import CveServicesAccount
from secdesk.lib.dates import stamp

FORMATS = ("text", "html", "cve", "osv", "csaf")


def render_documents(case, facts: dict, *, at=None) -> dict:
    """The documents of the advisory: the announcement's subject and text, a CNA
    container per CVE id, OSV and CSAF; the HTML page is rendered from `facts`."""
    at = stamp(at or timezone.now())
    account = CveServicesAccount.objects.filter(project=case.project).first()
    org_id = cve_record.provider_org_id(case.project, account)
    container = cve_record.render(facts, org_id=org_id)
    return {
        "facts": facts,
        "subject": text.subject(facts),
        "text": text.render(facts),
        "cve": {cve: container for cve in facts["cves"]},
        "osv": osv.render(facts, modified=at),
        "csaf": csaf.render(facts, current=at),
    }
