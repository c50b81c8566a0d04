"""Bad input and refused steps exit 2 with one line that names the rule
(acceptance C of the foundation issue)."""

import pytest

ALICE, BOB = "alice@redhat.example", "bob@suse.example"


@pytest.fixture
def case(team):
    return "1"  # accepted, in the session's starting point (conftest.team_template)


def _refused(result, *phrases):
    assert result.code == 2, result
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, result.err
    for phrase in phrases:
        assert phrase in lines[0]
    assert "Traceback" not in result.err


def test_a_31_day_embargo_is_refused(team, case):
    _refused(
        team("embargo", "propose", case, "--days", "31", "--justification", "x", who=ALICE),
        "31 days is longer than the maximum of 30 days",
        "(see /security/libvirt/#embargo-length)",
    )


def test_an_extension_without_justification_is_refused(team, case):
    team.ok("embargo", "propose", case, "--days", "10", who=ALICE)
    team.ok("embargo", "accept", case, who=BOB)
    _refused(
        team("embargo", "propose", case, "--days", "20", who=ALICE),
        "extension and needs a written justification",
    )


def test_a_restart_past_the_cap_is_refused(team, case):
    team.ok("embargo", "propose", case, "--days", "10", who=ALICE)
    team.ok("embargo", "accept", case, who=BOB)
    for attempt in range(2):
        team.ok("case", "fix-faulty", case, "--reason", f"attempt {attempt} broke", who=BOB)
        result = team("embargo", "restart", case, who=ALICE)
    _refused(result, "restarted 1 time(s); the policy allows at most 1")


def test_a_transition_from_the_wrong_state_names_the_state_and_the_moves(team, case):
    _refused(
        team("case", "validate", case, who=ALICE),
        "cannot `case validate` from state 'accepted'",
        "allowed from 'accepted': `case defer`, `case duplicate`, `case close`",
    )


@pytest.mark.parametrize("date", ["2026-13-01T10:00Z", "2026-12-01", "2026-12-01T10:00", "soon"])
def test_a_malformed_date_is_refused(team, case, date):
    _refused(team("embargo", "propose", case, "--end", date, who=ALICE), repr(date))


def test_a_malformed_cvss_vector_is_refused(team, case):
    _refused(
        team(
            "case",
            "triage",
            case,
            "--security-issue",
            "--reasoning",
            "r",
            "--cvss3",
            "CVSS:3.1/AV:N/AC:L",
            who=ALICE,
        ),
        "malformed CVSS 3.1 vector",
        "Missing mandatory metrics",
    )


def test_an_unknown_case_is_not_found(team):
    _refused(team("case", "show", "999", who=ALICE), "no case #999")


def test_a_usage_error_is_one_line(team):
    _refused(
        team("embargo", "propose", "x", "--days", "3", who=ALICE), "'x' is not a case reference"
    )


def test_acting_needs_a_known_person(team, case):
    _refused(team("case", "show", case), "say who is acting")
    _refused(team("case", "show", case, who="nobody@example.org"), "no person with address")


def test_someone_outside_the_team_cannot_see_a_case(team, case):
    team.ok("admin", "create", "other-admin@example.org")
    _refused(team("case", "show", case, who="other-admin@example.org"), f"no case #{case}")
