"""The shipped process files and the changes the owners' tests make to them: the B time limit, an
unquoted timer, an unknown form, scripts that try to escape the sandbox, hostile XML."""
import re
from pathlib import Path

PROCESSES = Path(__file__).resolve().parents[1] / "processes"
BPMN = "case_handling.bpmn"


def shipped(process_id="case_handling"):
    """{file name: bytes} of the files of processes/ that `db upgrade` deploys with a process (by
    default the default case process: its diagram, the tables it calls and those the code reads)."""
    from engine import sources
    from handlers.process import contract

    files = {p.name: p.read_bytes() for p in sorted(PROCESSES.iterdir()) if p.suffix in (".bpmn", ".dmn")}
    read = contract.READ_DECISIONS if process_id == contract.PROCESS_ID else ()
    return {n: files[n] for n in sorted(sources.files_of(sources.read(files), process_id, read))}


def rule_limit(rule_id, days, files=None):
    """The files with the rule `rule_id` of time_limit.dmn answering `days` working days."""
    files = dict(files or shipped())
    head, tail = files["time_limit.dmn"].decode().split(f'<rule id="{rule_id}">', 1)
    rule, rest = tail.split("</rule>", 1)
    rule = re.sub(r'(_out">\s*<text>)\d+(</text>)', rf"\g<1>{days}\2", rule)
    files["time_limit.dmn"] = (head + f'<rule id="{rule_id}">' + rule + "</rule>" + rest).encode()
    return files


def b_limit(days, files=None):
    """The files with the default B row of time_limit.dmn (any category) answering `days` working days."""
    return rule_limit("time_limit_rule_2", days, files)


def bpmn_replaced(old, new, files=None):
    files = dict(files or shipped())
    text = files[BPMN].decode()
    assert old in text, old
    files[BPMN] = text.replace(old, new, 1).encode()
    return files


def unquoted_timer():
    """The warning timer's expression as a bare ISO literal (a variable name: it would never fire)."""
    return bpmn_replaced(">warn_at<", ">P2D<")


def unknown_form():
    return bpmn_replaced('<spiffworkflow:property name="form" value="verify_report"/>',
                         '<spiffworkflow:property name="form" value="no_such_form"/>')


def script(code):
    """The on-the-spot script task running `code` instead."""
    return bpmn_replaced("<bpmn:script>closed_at = now()</bpmn:script>", f"<bpmn:script>{code}</bpmn:script>")


ESCAPES = {
    "import": "closed_at = __import__('os').system('touch /tmp/citygrid-pwned')",
    "subclasses": "closed_at = ().__class__.__subclasses__()",
    "globals": "closed_at = now.__globals__",
}

XXE = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE definitions [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <bpmn:process id="case_handling" isExecutable="true"><bpmn:documentation>&xxe;</bpmn:documentation>
    <bpmn:startEvent id="s"/></bpmn:process>
</bpmn:definitions>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <bpmn:process id="case_handling" isExecutable="true"><bpmn:documentation>&lol9;</bpmn:documentation>
    <bpmn:startEvent id="s"/></bpmn:process>
</bpmn:definitions>"""


def oversized(limit):
    """A BPMN file one byte over `limit` (a comment pads the shipped diagram)."""
    text = shipped()[BPMN]
    return text + b"<!--" + b"x" * (limit - len(text) - 6) + b"-->"
