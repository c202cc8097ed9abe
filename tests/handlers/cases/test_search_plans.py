"""On PostgreSQL the case list's statements are planned for the values they are sent with, however
often they run: psycopg prepares a statement after its fifth run on a connection, and PostgreSQL's
plan for any values then compared a unit filter's IN lists one by one on every row (a city-level
filter 7x slower). The server's own counters of each prepared statement's plans tell (a real
PostgreSQL; SQLite plans every statement afresh)."""
import pytest
from sqlalchemy import select, text

from handlers.cases import search
from handlers.org.models import User


def plans_of_the_count(session):
    """(generic plans, custom plans) PostgreSQL made of the prepared count of a unit filter."""
    return session.execute(text(
        "SELECT sum(generic_plans), sum(custom_plans) FROM pg_prepared_statements "
        "WHERE statement LIKE 'SELECT count(%' AND statement LIKE '%community IN%'")).one()


def test_a_filtered_count_run_again_and_again_is_planned_for_its_values(city):
    if not city.db.engine.url.get_backend_name().startswith("postgresql"):
        pytest.skip("SQLite plans each statement for its values")
    city.report()
    filters = search.Filters(unit="350200")          # the city: every unit's code in its IN lists

    def run(session, times):
        user = session.scalar(select(User).where(User.username == "intake"))
        totals = {search.count(session, city.directory, user=user, filters=filters, now=city.now())
                  for _ in range(times)}
        return totals, plans_of_the_count(session), session.execute(text("SHOW plan_cache_mode")).scalar()

    with city.db.unit_of_work() as session:
        session.connection().exec_driver_sql("DEALLOCATE ALL")     # this connection's counts start at 0
        totals, (generic, custom), mode = run(session, 8)
        assert totals == {1} and mode == "force_custom_plan"
        assert generic == 0 and custom >= 3          # prepared from the sixth run on, never planned generically
        session.commit()
        # a transaction after it plans as PostgreSQL would, until it reads the list itself
        assert session.execute(text("SHOW plan_cache_mode")).scalar() == "auto"
