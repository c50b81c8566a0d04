"""The benches' project: `bench`, trusting its MTA's DKIM results
(mx.bench.example), with `size` members member0@vendor0.example … (five
vendors), the first `admins` of them admins. Returns the project and the
members (Person)."""


def bench_team(size: int, admins: int = 0, **project_fields):
    from secdesk.teams.actions import (
        do_accept_policy,
        do_add_member,
        do_create_admin,
        do_create_project,
    )

    root = do_create_admin("root@bench.example")
    project = do_create_project(
        slug="bench",
        name="bench",
        security_address="security@bench.example",
        acting=root,
        **project_fields,
    )
    project.trust_mta_authentication, project.mta_authserv_id = True, "mx.bench.example"
    project.save()
    people = []
    for n in range(size):
        role = "admin" if n < admins else "member"
        membership = do_add_member(
            project, email=f"member{n}@vendor{n % 5}.example", role=role, acting=root
        )
        do_accept_policy(project, acting=membership.person)
        people.append(membership.person)
    return project, people
