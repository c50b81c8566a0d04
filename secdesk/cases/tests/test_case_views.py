"""Views of a case are recorded while it is confidential — not yet public, or
under an embargo — and the record says which: a case with no embargo is not
called embargoed. A public case's views are not recorded."""

from secdesk.audit.models import AuditEvent, AuditRecord
from secdesk.cases.actions import embargo, triage
from secdesk.cases.viewing import record_view


def _views(case):
    return list(AuditRecord.objects.filter(event=AuditEvent.CASE_VIEWED, case_id=case.pk))


def test_a_view_of_a_case_with_no_embargo_is_recorded_without_calling_it_embargoed(new_case, bob):
    case = new_case()
    record_view(bob, case, via="web")
    [view] = _views(case)
    assert view.details == {"via": "web", "embargoed": False}
    assert "embargoed" not in AuditEvent(view.event).label


def test_a_view_under_an_embargo_in_force_is_recorded_as_embargoed(new_case, alice, bob):
    case = new_case()
    embargo.do_propose_embargo(case, days=10, acting=alice)
    embargo.do_accept_embargo(case, acting=bob)
    record_view(bob, case, via="cli")
    [view] = _views(case)
    assert view.details == {"via": "cli", "embargoed": True}


def test_views_of_a_public_case_are_not_recorded(new_case, bob):
    case = new_case(public=True)
    record_view(bob, case, via="api")
    case = triage.do_set_fact(new_case(subject="later public"), "public", acting=bob)
    record_view(bob, case, via="api")
    assert AuditRecord.objects.filter(event=AuditEvent.CASE_VIEWED).count() == 0
