from pathlib import Path

import pytest
from django.db import connection


def test_audit_verify_names_a_changed_record_and_exits_non_zero(team):
    assert team.json("audit", "verify")["ok"] is True
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditrecord SET details = '{}' WHERE seq = 5")
    result = team("audit", "verify")
    assert result.code == 1
    assert result.out.strip() == "audit trail broken: record 5 was changed after it was written"


@pytest.mark.parametrize("who", ["alice@redhat.example"])
def test_audit_log_lists_the_project_records_for_an_admin(team, who):
    log = team.json("audit", "log", "--project", "libvirt", who=who)
    assert [r["event"] for r in log][:2] == ["project created", "member added"]
    refused = team("audit", "log", "--project", "libvirt", who="bob@suse.example")
    assert refused.code == 2 and "needs the admin role" in refused.err


def test_the_audit_key_is_made_once_in_the_data_directory_for_its_owner_only(process_cli):
    cli = process_cli
    del cli.env["SECDESK_AUDIT_KEY"]
    cli.ok("migrate")
    key = Path(cli.env["SECDESK_DATA_DIR"]) / "audit_key"
    assert key.stat().st_mode & 0o777 == 0o600
    made = key.read_text()
    cli.ok("audit", "verify")
    assert key.read_text() == made


def test_audit_anchor_mails_each_admin_and_verify_checks_the_anchor_given(team):
    anchor = team.json("audit", "anchor", who="alice@redhat.example")
    mails = [
        m
        for m in team.json("outbox", "list", who="alice@redhat.example")
        if m["kind"] == "audit-anchor"
    ]
    assert sorted(m["to"] for m in mails) == [["alice@redhat.example"], ["root@example.org"]]
    checked = team.json("audit", "verify", "--anchor", anchor["token"])
    assert checked["ok"] is True and checked["last_anchor"]["token"] == anchor["token"]
    refused = team("audit", "anchor", who="bob@suse.example")
    assert refused.code == 2 and "needs an admin" in refused.err
