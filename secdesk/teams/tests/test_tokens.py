from secdesk.teams import joining, tokens


def test_a_token_is_shown_once_and_stored_as_a_hash(bob):
    token, raw = tokens.do_create_api_token(name="triage script", acting=bob)
    assert raw.startswith("sdk_") and raw not in token.token_hash
    assert tokens.authenticate(raw).person == bob


def test_a_revoked_or_unknown_token_authenticates_nobody(bob):
    token, raw = tokens.do_create_api_token(name="ci", acting=bob)
    tokens.do_revoke_api_token(prefix=token.prefix, acting=bob)
    assert tokens.authenticate(raw) is None
    assert tokens.authenticate("sdk_not-a-token") is None
    assert tokens.authenticate("") is None


def test_removal_revokes_every_token(project, alice, bob):
    _, raw = tokens.do_create_api_token(name="ci", acting=bob)
    joining.do_remove_member(project, email=bob.email, reason="left", acting=alice)
    assert tokens.authenticate(raw) is None
