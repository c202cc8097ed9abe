"""`tasks list` and `tasks complete`, end to end on the whole product, on SQLite and PostgreSQL."""
from tests.commandline import refused, report, run, show, state

REFUSED_COMPLETIONS = [
    ("dispatcher", '{"decision":"file","urgency":"A"}', "may not complete"),        # wrong role
    ("officer-350203", '{"decision":"file","urgency":"A"}', "may not complete"),    # wrong role and unit
    ("nobody", '{"decision":"file","urgency":"A"}', "unknown user 'nobody'"),
    ("intake", '{"decision":"file","urgency":"A","colour":"red"}', "colour"),      # unknown field
    ("intake", '{"decision":"file"}', "urgency"),                                   # required when filing
    ("intake", '{"decision":"file","urgency":"Z"}', "urgency"),
    ("intake", '{"decision":"shred"}', "decision"),
    ("intake", '{"decision":"merge","duplicate_of":"2026030299999"}', "duplicate_of"),
    ("intake", '{"decision": "file", "urgency": "A"', "not JSON"),                   # bad JSON
    ("intake", '["decision", "file"]', "JSON object"),
]


def test_a_refused_completion_says_why_in_one_line_and_changes_nothing(city, cli, subtests):
    run(cli, "clock", "set", "2026-03-02T16:05")
    case_no = report(cli)
    task_id = show(cli, case_no)["open_tasks"][0]["id"]
    before = state(city, case_no)
    for user, payload, message in REFUSED_COMPLETIONS:
        with subtests.test(user=user, payload=payload):
            error = refused(cli.invoke(args=["tasks", "complete", task_id, "--user", user, "--json", payload]))
            assert message in error
            assert state(city, case_no) == before
            assert show(cli, case_no)["open_tasks"][0]["id"] == task_id
    # a refusal by the service layer is the whole output: one line
    result = cli.invoke(args=["tasks", "complete", task_id, "--user", "dispatcher", "--json",
                              '{"decision":"file","urgency":"A"}'])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1, result.output
    result = cli.invoke(args=["tasks", "complete", task_id, "--user", "intake", "--json",
                              '{"decision":"file","urgency":"A","colour":"red"}'])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1, result.output
    assert result.output.startswith("Error: invalid input: colour: ")




def test_bad_task_input_exits_nonzero_with_one_line(city, cli, subtests):
    for args, message in [
        (["tasks", "complete", "00000000-0000-0000-0000-000000000000", "--user", "intake", "--json", "{}"], "no open task"),
        (["tasks", "complete", "not-a-task", "--user", "intake", "--json", "{}"], "no open task"),
        (["tasks", "list", "--user", "nobody"], "unknown user"),
    ]:
        with subtests.test(args=" ".join(args[:3])):
            assert message in refused(cli.invoke(args=args))
