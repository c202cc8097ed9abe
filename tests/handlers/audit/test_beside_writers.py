"""Audits never block writers: `audit verify` reads in read transactions that the database itself
keeps read-only, so a report filed from another connection while a verification holds its read
transaction goes through at once, and the verification's answer is still right. On SQLite a
read that wrote would have taken the write lock and kept it to its end."""
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from handlers.audit import cli as audit_cli, verify
from tests.commandline import last, run
from tests.handlers.cases.test_lifecycle import file_case, handled_by_yingcui


def test_a_report_goes_through_while_a_verification_holds_its_read_transaction(city, cli):
    numbers = [file_case(city, reported=f"2026-03-02 1{n}:05", filed=f"2026-03-02 1{n}:10") for n in range(4)]
    handled_by_yingcui(city, numbers[0])
    filed = {}

    def report():                       # another thread, its own connection and unit of work
        filed["case_no"] = city.report()

    with city.db.reading(strict=True) as session:
        city.runtime.clock.sync(session)
        first = verify.verify_case(session, city.runtime, numbers[0])    # the read transaction has its snapshot
        writer = threading.Thread(target=report)
        writer.start()
        writer.join(timeout=20)         # a bound for a broken build only: a blocked writer waits 30 s, then fails
        assert not writer.is_alive() and filed["case_no"]
        rest = [verify.verify_case(session, city.runtime, no) for no in numbers[1:]]
        assert verify.all_case_numbers(session) == numbers   # its snapshot: the new report is not in it
    assert first.ok and all(r.ok for r in rest), [first, *rest]
    assert last(run(cli, "audit", "verify", "--all")) == "5 of 5 cases verified"    # the new one too


def test_audit_verify_all_reads_each_case_in_a_read_only_transaction(city):
    file_case(city)
    reads = []

    def read(fn):
        def recording(session, runtime):
            with pytest.raises(DBAPIError):     # the database refuses a write in it
                with session.begin_nested():
                    session.execute(text("UPDATE cases SET status = 'voided'"))
            reads.append(fn(session, runtime))
            return reads[-1]
        return audit_cli.strict_read(recording)
    with city.app.app_context():
        count, failures, system = audit_cli.check_cases(read, [city.work(verify.all_case_numbers)[0]])
    assert (count, failures, system.ok, len(reads)) == (1, [], True, 2)     # the case, then the system log
    assert city.report()                      # the pooled connection it used writes again
    assert city.work(lambda s: s.scalar(text("SELECT count(*) FROM cases WHERE status = 'voided'"))) == 0
