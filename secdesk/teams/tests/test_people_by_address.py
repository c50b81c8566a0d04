"""Every report looks its sender up by address, whatever its case: the lookup
must stay an index search as the people table grows with every reporter."""

from django.db import connection
from django.db.models.functions import Lower

from secdesk.teams.actions import people_for_addresses
from secdesk.teams.models import Person


def test_people_are_found_by_address_whatever_its_case(db):
    known = Person.objects.create(email="Finder@Research.example")
    found = people_for_addresses([("finder@research.EXAMPLE", ""), ("new@research.example", "N")])
    assert found["finder@research.example"] == known
    assert found["new@research.example"].email == "new@research.example"
    assert Person.objects.count() == 2


def test_finding_people_by_address_searches_the_lower_case_index(db):
    query = Person.objects.annotate(lower=Lower("email")).filter(lower__in=["a@b.example"])
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        else:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "person_email_lower" in plan, plan
