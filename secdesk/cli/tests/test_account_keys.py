"""A member's OpenPGP keys through the real command: add, replace, list, remove."""

ALICE, BOB = "alice@redhat.example", "bob@suse.example"


def test_a_member_adds_replaces_and_removes_a_key_in_the_cli(team, gpg, tmp_path):
    first = tmp_path / "bob.asc"
    first.write_text(gpg.new_key(BOB))
    added = team.json("account", "key", "add", str(first), who=BOB)
    assert len(added["fingerprint"]) == 40 and added["expires_at"]
    [line] = team.ok("account", "key", "list", who=BOB).out.splitlines()
    assert line.split() == [added["fingerprint"], "expires", added["expires_at"][:10]]

    replaced = team.json(
        "account", "key", "replace", added["fingerprint"], "-", who=BOB,
        stdin=gpg.new_key("bob@home.example"),
    )  # fmt: skip
    listed = team.json("account", "key", "list", who=BOB)
    assert [k["fingerprint"] for k in listed] == [replaced["fingerprint"]]

    taken = team("account", "key", "add", "-", who=ALICE, stdin=gpg.public("bob@home.example"))
    assert taken.code == 2 and "bound to another person" in taken.err

    team.ok("account", "key", "remove", replaced["fingerprint"], who=BOB)
    assert team.json("account", "key", "list", who=BOB) == []
    assert team.ok("account", "key", "list", who=BOB).out.strip() == "no keys"


def test_an_expired_key_is_refused_in_the_cli(team, gpg):
    expired = gpg.new_key("old@suse.example", expires="1d", made="20250101T000000")
    refused = team("account", "key", "add", "-", who=BOB, stdin=expired)
    assert refused.code == 2 and "this key expired on 2025-01-02" in refused.err
    missing = team("account", "key", "add", "/no/such/file.asc", who=BOB)
    assert missing.code == 2 and "cannot read /no/such/file.asc" in missing.err
