"""Policy and list settings for a project's admins."""

from secdesk.audit.models import AuditEvent, AuditRecord
from secdesk.teams.actions import POLICY_FIELDS
from secdesk.teams.models import Consent, Membership
from secdesk.web.tests.conftest import post_form

URL = "/projects/libvirt/settings/"


def _policy_data(project, **changes):
    policy = project.policy
    return {
        "section": "policy",
        **{name: getattr(policy, name) for name in POLICY_FIELDS},
        **changes,
    }


def test_an_admin_changes_the_policy_and_the_others_consent_lapses(login_as, libvirt, alice, bob):
    client = login_as(alice)
    page = client.get(URL).content.decode()
    assert "consent lapses" in page and "version 1" in page

    answer = post_form(client, URL, _policy_data(libvirt, max_embargo_days=21))

    assert answer.status_code == 302
    libvirt.policy.refresh_from_db()
    assert libvirt.policy.max_embargo_days == 21 and libvirt.policy.version == 2
    assert Membership.objects.get(person=bob).consent == Consent.LAPSED
    assert Membership.objects.get(person=alice).consent == Consent.SIGNATORY
    change = AuditRecord.objects.get(event=AuditEvent.POLICY_CHANGED)
    assert change.details["after"] == {"max_embargo_days": 21}
    assert "Policy version 2 saved" in client.get(URL).content.decode()


def test_saving_an_unchanged_policy_makes_no_new_version(login_as, libvirt, alice, bob):
    client = login_as(alice)
    post_form(client, URL, _policy_data(libvirt))
    libvirt.policy.refresh_from_db()
    assert libvirt.policy.version == 1
    assert Membership.objects.get(person=bob).consent == Consent.SIGNATORY
    assert "Nothing changed" in client.get(URL).content.decode()


def test_a_policy_that_breaks_its_own_limits_is_refused_with_a_clear_message(
    login_as, libvirt, alice
):
    answer = post_form(
        login_as(alice), URL, _policy_data(libvirt, default_embargo_days=40, max_embargo_days=30)
    )
    page = answer.content.decode()
    assert answer.status_code == 400
    assert "default embargo cannot be longer than the maximum" in page
    assert "Traceback" not in page
    libvirt.policy.refresh_from_db()
    assert libvirt.policy.version == 1 and libvirt.policy.default_embargo_days == 14


def test_an_admin_sets_the_list_addresses(login_as, libvirt, alice):
    answer = post_form(
        login_as(alice),
        URL,
        {"section": "lists", "dev_list": "devel@lists.libvirt.org", "announce_list": ""},
    )
    assert answer.status_code == 302
    libvirt.refresh_from_db()
    assert (libvirt.dev_list, libvirt.announce_list) == ("devel@lists.libvirt.org", "")
    assert AuditRecord.objects.get(event=AuditEvent.LIST_ADDRESSES_CHANGED).details["after"] == {
        "dev_list": "devel@lists.libvirt.org",
        "announce_list": "",
    }
    libvirt.policy.refresh_from_db()
    assert libvirt.policy.version == 1


def test_a_list_address_must_be_an_address(login_as, libvirt, alice):
    answer = post_form(
        login_as(alice), URL, {"section": "lists", "dev_list": "devel", "announce_list": ""}
    )
    assert answer.status_code == 400 and "Enter a valid email address." in answer.content.decode()


def test_a_member_who_is_not_admin_is_refused_and_an_outsider_finds_nothing(
    login_as, libvirt, bob, charlie
):
    assert login_as(bob).get(URL).status_code == 403
    assert login_as(charlie).get(URL).status_code == 404
    refused = post_form(login_as(bob), URL, _policy_data(libvirt, max_embargo_days=21), page="/")
    assert refused.status_code == 403
    libvirt.policy.refresh_from_db()
    assert libvirt.policy.version == 1


def test_an_admin_sets_the_package_identity_on_the_settings_page(login_as, libvirt, alice):
    client = login_as(alice)
    assert "Package identity" in client.get(URL).content.decode()
    data = {"section": "package", "ecosystem": "PyPI", "package_name": "libvirt-python"}
    answer = post_form(
        client, URL, {**data, "repository_url": "https://gitlab.com/libvirt/libvirt"}
    )
    assert answer.status_code == 302
    page = client.get(URL).content.decode()
    assert 'value="libvirt-python"' in page and "Package identity saved" in page


def test_a_mirror_address_as_public_repository_is_refused_on_the_page(login_as, libvirt, alice):
    data = {"section": "package", "repository_url": "ssh://git@internal/libvirt.git"}
    answer = post_form(login_as(alice), URL, data)
    assert answer.status_code == 400
    assert "public https address" in answer.content.decode()
