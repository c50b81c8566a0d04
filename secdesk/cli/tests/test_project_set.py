"""`secdesk project set`: how the advisories name the project's software."""

ALICE, BOB = "alice@redhat.example", "bob@suse.example"


def test_an_admin_sets_the_package_identity_from_the_cli(team):
    answer = team.json(
        "project",
        "set",
        "libvirt",
        "ecosystem=PyPI",
        "package-name=libvirt-python",
        "repository_url=https://gitlab.com/libvirt/libvirt",
        who=ALICE,
    )
    assert answer["package_name"] == "libvirt-python"
    assert answer["repository_url"] == "https://gitlab.com/libvirt/libvirt"
    cleared = team.json("project", "set", "libvirt", "ecosystem=", "package_name=", who=ALICE)
    assert (cleared["ecosystem"], cleared["repository_url"]) == ("", answer["repository_url"])


def test_a_bad_ecosystem_and_a_member_are_refused_in_one_line(team):
    refused = team("project", "set", "libvirt", "ecosystem=Cargo", "package_name=x", who=ALICE)
    assert refused.code == 2 and "is not one of OSV's" in refused.err
    assert "Traceback" not in refused.err
    assert team("project", "set", "libvirt", "product=x", who=BOB).code == 2


def test_a_member_reads_the_project_and_an_outsider_is_refused(team):
    team.ok("project", "set", "libvirt", "product=libvirt daemon", who=ALICE)
    shown = team.json("project", "show", "libvirt", who=BOB)
    assert shown["security_address"] == "security@libvirt.example"
    assert shown["announce_list"] == "announce@libvirt.example"
    assert shown["product"] == "libvirt daemon"
    assert "product: libvirt daemon" in team.ok("project", "show", "libvirt", who=BOB).out
    refused = team("project", "show", "libvirt", who="mallory@elsewhere.example")
    assert refused.code == 2 and refused.out == ""
