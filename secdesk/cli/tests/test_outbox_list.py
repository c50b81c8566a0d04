"""`outbox list` is the record of who received a case's mail: every recipient
of every row is listed, however many a team envelope has."""

from secdesk.testing import ALICE, BOB, ROOT

MORE = [f"member{n}@long-organisation-name.example" for n in range(3)]


def test_outbox_list_of_a_case_shows_every_recipient_of_a_team_reply(team):
    for email in MORE:
        team.ok("member", "add", "libvirt", email, who=ROOT)
        team.ok("member", "accept-policy", "libvirt", who=email)
    team.ok("case", "reply", "1", "--body", "The fix is commit 0123abcd.", who=ALICE)
    rows = team.json("outbox", "list", "--case", "1", who=ALICE)
    recipients = {a for row in rows for a in [*row["to"], *row["cc"]]}
    assert {BOB, *MORE} <= recipients

    # A terminal wide enough that no address is folded in two.
    team.env["COLUMNS"] = "200"
    shown = team.ok("outbox", "list", "--case", "1", who=ALICE).out
    for address in recipients:
        assert address in shown
