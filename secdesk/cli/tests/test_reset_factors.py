"""`secdesk admin reset-factors EMAIL`: the operator's way back in for a member
who lost their second factor."""

from secdesk.testing import BOB


def test_the_operator_resets_a_members_factors_and_is_told_how_they_get_back_in(team):
    done = team.json("admin", "reset-factors", BOB)
    assert done == {
        "email": BOB,
        "told_by_mail": True,
        "authenticators": 0,
        "passkeys": 0,
        "recovery_codes": False,
    }
    text = team.ok("admin", "reset-factors", BOB).out
    assert f"secdesk admin login-link {BOB}" in text


def test_resetting_the_factors_of_an_unknown_address_is_refused_plainly(team):
    refused = team("admin", "reset-factors", "nobody@example.net")
    assert refused.code != 0
    assert "no person with address nobody@example.net" in refused.err
    assert "Traceback" not in refused.err
