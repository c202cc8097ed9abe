"""engine.deployments: the shipped processes/ deploy once per content (hash), with their XML and
parsed spec; a bad diagram is refused with the element at fault and stores nothing; untrusted XML
(XXE, entity bombs) is refused without reading anything."""
import json
import os
import re
import socket
import threading
import time
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from sqlalchemy import func, select

from engine import deployments, events, spiff
from engine.db import Base, get_db
from engine.models import Deployment, Event
from engine.sandbox import SandboxEnvironment, compile_checked
from tests.deployment_files import shipped

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
PROCESS_ID = "case_handling"


@pytest.fixture
def env(app):
    """The app's runtime (services, functions, the user-task linter) on a fresh SQLite schema, with
    the emergency process deployed (the default process's routing table names it)."""
    db = get_db(app)
    Base.metadata.create_all(db.engine)
    runtime = app.extensions["citygrid.runtime"]
    with db.unit_of_work() as session:
        deployments.deploy(session, runtime, files=shipped("municipal_emergency"), process_id="municipal_emergency",
                           actor="test")
    return db, runtime




def edit(element_id, old, new, text=None):
    """The shipped case_handling.bpmn with `old` replaced by `new` inside the element `element_id`."""
    text = text or (PROCESSES / "case_handling.bpmn").read_text(encoding="utf-8")
    opening = re.search(rf'<bpmn:(\w+) id="{element_id}"', text)
    assert opening, element_id
    end = text.index(f"</bpmn:{opening.group(1)}>", opening.start())
    segment = text[opening.start():end]
    assert segment.count(old) == 1, (element_id, old)
    return text[:opening.start()] + segment.replace(old, new) + text[end:]


def with_bpmn(text, **extra):
    files = shipped()
    files["case_handling.bpmn"] = text.encode("utf-8") if isinstance(text, str) else text
    files.update(extra)
    return files


def counts(db):
    with db.unit_of_work() as session:
        return (session.scalar(select(func.count()).select_from(Deployment)),
                session.scalar(select(func.count()).select_from(Event)))


def refused(db, runtime, files):
    """Deploy and expect a refusal that stores nothing; returns the DeploymentError."""
    before = counts(db)
    with pytest.raises(deployments.DeploymentError) as err:
        with db.unit_of_work() as session:
            deployments.deploy(session, runtime, files=files, process_id=PROCESS_ID, actor="test")
    assert counts(db) == before
    return err.value


# --- the shipped processes -----------------------------------------------------------------------

def test_processes_deploy_once_per_content(env):
    db, runtime = env
    with db.unit_of_work() as session:
        first = deployments.deploy_directory(session, runtime, PROCESSES, actor="system")
    assert [d.process_id for d in first] == [PROCESS_ID, "municipal_emergency"]   # each with its own files
    assert sorted(first[1].files) == ["emergency_time_limit.dmn", "municipal_emergency.bpmn", "penalty_points.dmn"]
    files = shipped()
    assert first[0].hash == deployments.content_hash(files, PROCESS_ID)
    # the XML itself is stored (history never depends on files that change later), and the spec
    assert first[0].files == {name: data.decode("utf-8") for name, data in files.items()}
    spec, subprocess_specs = spiff.spec_from_dict(json.loads(first[0].spec))
    assert spec.name == PROCESS_ID and "handling" in {t.bpmn_id for t in spec.task_specs.values()}

    with db.unit_of_work() as session:                       # same files: the same deployment
        again = deployments.deploy_directory(session, runtime, PROCESSES, actor="system")
    assert [d.id for d in again] == [d.id for d in first]
    with db.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Deployment)) == 2
        deployed = [e for e in events.get_stream(session, events.SYSTEM) if e.kind == "deployed"]
        assert len(deployed) == 2
        deployed = [e for e in deployed if e.deployment_id == first[0].id]
        assert deployed[0].deployment_id == first[0].id
        assert deployed[0].data["hash"] == first[0].hash
        assert deployed[0].data["files"] == sorted(files)
        assert events.verify_stream(session, events.SYSTEM).ok


def test_changed_content_is_a_new_version_and_the_old_one_stays(env):
    db, runtime = env
    with db.unit_of_work() as session:
        old = deployments.deploy(session, runtime, files=shipped(), process_id=PROCESS_ID, actor="t")
    files = shipped()
    files["time_limit.dmn"] += b"\n"                          # one byte more
    with db.unit_of_work() as session:
        new = deployments.deploy(session, runtime, files=files, process_id=PROCESS_ID, actor="t")
        assert new.id != old.id and new.hash != old.hash
        assert deployments.latest(session, PROCESS_ID).id == new.id
        assert deployments.get(session, old.id).files["time_limit.dmn"] == (PROCESSES / "time_limit.dmn").read_text(
            encoding="utf-8")
        assert [e.kind for e in events.get_stream(session, events.SYSTEM)] == ["deployed"] * 3   # with the emergency


def test_the_content_hash_covers_names_bytes_and_process_id():
    files = shipped()
    digest = deployments.content_hash(files, PROCESS_ID)
    assert deployments.content_hash(dict(reversed(list(files.items()))), PROCESS_ID) == digest
    assert deployments.content_hash(files, "other") != digest
    renamed = {("x_" + k if k == "time_limit.dmn" else k): v for k, v in files.items()}
    assert deployments.content_hash(renamed, PROCESS_ID) != digest
    # file boundaries are part of the hash: moving bytes between files changes it
    a = {"a.bpmn": b"<x/>", "b.dmn": b"<y/>"}
    b = {"a.bpmn": b"<x/><", "b.dmn": b"y/>"}
    assert deployments.content_hash(a, "p") != deployments.content_hash(b, "p")


# --- bad diagrams: refused, naming the element, nothing stored -----------------------------------

BAD_DIAGRAMS = {
    # a condition lives on a sequence flow; it is reported on the gateway the flow leaves
    "condition syntax error": ("flow_gw_dispatch_to_assign_down", 'action == "assign"', 'action == = "assign"',
                               "gw_dispatch", "condition"),
    "script with __import__": ("set_overdue", 'penalty_reason = "overdue"',
                               'penalty_reason = __import__("os").getcwd()', "set_overdue", "__import__"),
    "script with a dunder attribute": ("record_on_spot", "closed_at = now()",
                                       "closed_at = now.__globals__", "record_on_spot", "__globals__"),
    "timer expression with a dunder": ("warning_timer", ">warn_at<", ">warn_at.__class__<",
                                       "warning_timer", "timer expression"),
    "unregistered service operator": ("notify_warning", 'serviceTaskOperator id="notify"',
                                      'serviceTaskOperator id="send_sms"', "notify_warning", "'send_sms'"),
    "service parameter with __import__": ("notify_warning", 'value="&quot;warning&quot;"',
                                          'value="__import__(&quot;os&quot;)"', "notify_warning", "parameter"),
    "user task with an unknown form": ("close_case", 'name="form" value="close_case"',
                                       'name="form" value="close_kase"', "close_case", "'close_kase'"),
    "user task without a role": ("close_case", '<spiffworkflow:property name="role" value="&quot;shiftlead&quot;"/>',
                                 "", "close_case", "'role'"),
    "user task without a unit": ("close_case", '<spiffworkflow:property name="unit" value="center"/>', "",
                                 "close_case", "'unit'"),
    "user task with a dunder in its unit": ("close_case", 'name="unit" value="center"',
                                            'name="unit" value="center.__class__"', "close_case", "unit expression"),
}


@pytest.mark.parametrize("case", BAD_DIAGRAMS, ids=list(BAD_DIAGRAMS))
def test_a_bad_diagram_is_refused_naming_the_element(env, case):
    db, runtime = env
    element, old, new, reported, message = BAD_DIAGRAMS[case]
    error = refused(db, runtime, with_bpmn(edit(element, old, new)))
    found = [p for p in error.problems if p.element == reported]
    assert found, error.as_dicts()
    assert any(message in p.message for p in found), error.as_dicts()
    assert reported in str(error)


def test_every_problem_is_reported_at_once(env):
    db, runtime = env
    text = edit("set_overdue", 'penalty_reason = "overdue"', "import os")
    text = edit("close_case", 'name="form" value="close_case"', 'name="form" value="nope"', text)
    error = refused(db, runtime, with_bpmn(text))
    assert {"set_overdue", "close_case"} <= {p.element for p in error.problems}


def test_an_unquoted_timer_literal_compiles_so_the_compile_check_alone_cannot_see_it():
    # `P2D` without quotes is a Python name: it compiles, and evaluating it when the timer is armed
    # is a NameError (the user's step that reaches the timer fails; the timer never fires).
    compile_checked("P2D", "eval")
    with pytest.raises(NameError):
        SandboxEnvironment({}).evaluate("P2D", {"due_at": "2026-03-03T16:10:00+08:00"})


@pytest.mark.parametrize("timer, old, new", [
    ("overdue_timer", '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">due_at</bpmn:timeDate>',
     '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">P2D</bpmn:timeDuration>'),
    ("overdue_timer", ">due_at</bpmn:timeDate>", ">P2D</bpmn:timeDate>"),
    ("overdue_timer", ">due_at</bpmn:timeDate>", ">2026-03-03T16:10:00+08:00</bpmn:timeDate>"),
    ("overdue_daily_timer", '>"R/" + add_working_days(due_at, 1) + "/P1D"<', ">R/2026-03-04T16:10:00+08:00/P1D<"),
], ids=["timeDuration P2D", "timeDate P2D", "timeDate instant", "timeCycle"])
def test_an_unquoted_timer_literal_is_refused(env, timer, old, new):
    db, runtime = env
    error = refused(db, runtime, with_bpmn(edit(timer, old, new)))
    assert {p.element for p in error.problems} == {timer}
    assert any("variable name" in p.message for p in error.problems), error.as_dicts()


def test_a_quoted_timer_literal_deploys(env):
    db, runtime = env
    text = edit("overdue_timer", '<bpmn:timeDate xsi:type="bpmn:tFormalExpression">due_at</bpmn:timeDate>',
                '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">"P2D"</bpmn:timeDuration>')
    with db.unit_of_work() as session:
        deployment = deployments.deploy(session, runtime, files=with_bpmn(text), process_id=PROCESS_ID, actor="t")
    assert deployment.id


def with_dmn(name, old, new):
    files = shipped()
    text = files[name].decode("utf-8")
    assert text.count(old) >= 1, old
    files[name] = text.replace(old, new, 1).encode("utf-8")
    return files


UNREACHED_RULE = ('<rule id="time_limit_rule_9"><inputEntry id="time_limit_rule_9_in"><text>"Z"</text></inputEntry>'
                  '<outputEntry id="time_limit_rule_9_out"><text>__import__("os").getpid()</text></outputEntry></rule>'
                  "</decisionTable>")


def test_a_decision_cell_with_import_is_refused_on_its_business_rule_task(env):
    db, runtime = env
    error = refused(db, runtime, with_dmn("time_limit.dmn", "<text>1</text>", "<text>__import__('os').getpid()</text>"))
    assert "time_limit" in {p.element for p in error.problems}


@pytest.mark.parametrize("old, new", [
    ("<text>1</text>", "<text>__import__('os').getpid()</text>"),
    ("</decisionTable>", UNREACHED_RULE),
], ids=["reached cell", "unreached cell"])
def test_a_decision_cell_with_import_is_refused_saying_why(env, old, new):
    db, runtime = env
    error = refused(db, runtime, with_dmn("time_limit.dmn", old, new))
    assert any("__import__" in p.message for p in error.problems), error.as_dicts()


# --- files that are not diagrams -----------------------------------------------------------------

@pytest.mark.parametrize("name, data", [
    ("notes.txt", b"hello"),                       # refused by its name, whatever it holds
    ("notes.txt", b"<a/>"),
    ("case_handling.bpmn.bak", (PROCESSES / "case_handling.bpmn").read_bytes()),
    ("script.py", b"import os"),
])
def test_only_bpmn_and_dmn_file_names_are_accepted(env, name, data):
    db, runtime = env
    files = shipped()
    files[name] = data
    error = refused(db, runtime, files)
    assert [(p.file, p.message) for p in error.problems] == [(name, "only .bpmn and .dmn files can be deployed")]


def test_a_diagram_that_is_not_utf8_is_refused_with_a_problem_not_a_crash(env):
    db, runtime = env
    text = (PROCESSES / "case_handling.bpmn").read_text(encoding="utf-8").replace('encoding="UTF-8"', 'encoding="GBK"')
    error = refused(db, runtime, with_bpmn(text.encode("gbk")))
    assert [p.file for p in error.problems] == ["case_handling.bpmn"]
    assert "UTF-8" in error.problems[0].message


def test_malformed_xml_names_file_and_line(env):
    db, runtime = env
    text = edit("close_case", "<bpmn:documentation>", "<bpmn:documentation><oops>")
    error = refused(db, runtime, with_bpmn(text))
    [problem] = error.problems
    assert problem.file == "case_handling.bpmn" and problem.line and "not well-formed" in problem.message


# --- untrusted XML ---------------------------------------------------------------------------------

class ReadDetector:
    """A FIFO standing in for a secret file: anything that opens it blocks until a writer comes, so a
    parse that finishes on its own has read nothing; a parse that blocks gets the marker and is caught."""

    MARKER = b"SECRET-MARKER-4711"

    def __init__(self, folder, name="secret"):
        self.path = str(folder / name)
        os.mkfifo(self.path)

    def run(self, fn):
        """Run fn() in a thread; returns (opened, result or exception)."""
        outcome = {}

        def target():
            try:
                outcome["value"] = fn()
            except Exception as exc:             # the outcome is inspected by the test
                outcome["value"] = exc

        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        opened, started = False, time.monotonic()
        # Until fn() is done, however long it takes: a reader that opened the FIFO blocks until we
        # write, so it cannot finish without being seen. (The limit only fails a test that hangs.)
        while thread.is_alive():
            assert time.monotonic() - started < 120, "the parse neither finished nor opened the file"
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:                      # ENXIO: nobody has it open for reading
                thread.join(0.01)
                continue
            opened = True
            os.write(fd, self.MARKER)
            os.close(fd)
            thread.join(0.01)
        return opened, outcome["value"]


def xxe_document(path):
    text = (PROCESSES / "case_handling.bpmn").read_text(encoding="utf-8")
    text = text.replace('<?xml version="1.0" encoding="UTF-8"?>',
                        f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file://{path}">]>')
    return edit("set_overdue", 'penalty_reason = "overdue"', "penalty_reason = '&e;'", text).encode("utf-8")


def test_xxe_is_refused_and_reads_nothing(env, tmp_path):
    db, runtime = env
    # The control: the detector does see a parser that resolves external entities open the file.
    control = ReadDetector(tmp_path, "control")
    opened, root = control.run(lambda: etree.fromstring(xxe_document(control.path),
                                                        etree.XMLParser(resolve_entities=True, load_dtd=True)))
    assert opened and control.MARKER.decode() in etree.tostring(root, encoding="unicode")
    # Ours: refused on its DOCTYPE, the file never opened.
    detector = ReadDetector(tmp_path)
    data = xxe_document(detector.path)
    opened, result = detector.run(lambda: deployments.parse(with_bpmn(data), PROCESS_ID, runtime))
    assert not opened
    assert isinstance(result, deployments.DeploymentError)
    [problem] = result.problems
    assert problem.file == "case_handling.bpmn" and problem.message.startswith("DOCTYPE declarations are not allowed")
    assert detector.MARKER.decode() not in str(result)
    refused(db, runtime, with_bpmn(data))                    # and through deploy: nothing stored


def test_the_etc_passwd_xxe_of_the_textbook_is_refused(env):
    db, runtime = env
    text = (PROCESSES / "case_handling.bpmn").read_text(encoding="utf-8").replace(
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>')
    error = refused(db, runtime, with_bpmn(edit("close_case", 'name="结案"', 'name="&e;"', text)))
    assert "root:" not in str(error) and "root:" not in json.dumps(error.as_dicts())


def test_an_external_dtd_over_the_network_is_not_fetched(env):
    db, runtime = env
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    port = listener.getsockname()[1]
    try:
        text = (PROCESSES / "case_handling.bpmn").read_text(encoding="utf-8").replace(
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE definitions SYSTEM "http://127.0.0.1:{port}/x.dtd">')
        error = refused(db, runtime, with_bpmn(text))
        assert "DOCTYPE" in str(error)
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()                                # nobody connected
    finally:
        listener.close()


def test_a_billion_laughs_file_is_refused(env):
    db, runtime = env
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{(f"&lol{i - 1};" if i > 1 else "&lol;") * 10}">' for i in range(1, 10))
    bomb = (f'<?xml version="1.0"?>\n<!DOCTYPE lolz [{entities}]>\n'
            '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><documentation>&lol9;'
            '</documentation></definitions>').encode()
    error = refused(db, runtime, with_bpmn(shipped()["case_handling.bpmn"], **{"lol.bpmn": bomb}))
    [problem] = error.problems
    assert problem.file == "lol.bpmn" and problem.message.startswith(("not well-formed XML", "DOCTYPE"))
    # the parser refuses it (libxml2's amplification limit, or our DOCTYPE refusal), expanding nothing
    with pytest.raises((etree.XMLSyntaxError, ValidationException)) as parsed:
        spiff.parse_xml(bomb, "lol.bpmn")
    assert "lollol" not in str(parsed.value)
