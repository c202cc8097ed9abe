"""The Xiamen demo: the org tree of product.md and a user per role and unit (password `demo`)."""
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from . import cases, forms, org, worklist

CENTER = ("350200", "厦门市智慧城市管理监督指挥中心")
DEPARTMENTS = [
    ("350200901", "市市政园林局"),
    ("350200902", "市环境卫生中心"),
    ("350200903", "市交通运输局"),
    ("350200904", "市城市照明中心"),
]
# district -> streets -> communities (GB/T 2260 district codes; village-level codes below them)
DISTRICTS = [
    ("350203", "思明区", [
        ("350203011", "嘉莲街道", [("350203011001", "莲秀社区"), ("350203011002", "华林社区"),
                                   ("350203011003", "盈翠社区")]),
        ("350203008", "筼筜街道", [("350203008001", "湖滨社区"), ("350203008002", "金鸡亭社区")]),
    ]),
    ("350205", "海沧区", [
        ("350205001", "海沧街道", [("350205001001", "海虹社区"), ("350205001002", "锦里社区")]),
    ]),
    ("350206", "湖里区", [
        ("350206001", "湖里街道", [("350206001001", "湖里社区"), ("350206001002", "塘边社区")]),
        ("350206003", "殿前街道", [("350206003001", "殿前社区")]),
    ]),
    ("350211", "集美区", [
        ("350211002", "侨英街道", [("350211002001", "侨英社区"), ("350211002003", "叶厝社区")]),
        ("350211001", "集美街道", [("350211001001", "岑西社区")]),
    ]),
    ("350212", "同安区", [
        ("350212001", "大同街道", [("350212001001", "东山社区")]),
    ]),
    ("350213", "翔安区", [
        ("350213001", "新店街道", [("350213001001", "新店社区")]),
    ]),
]
GRIDS_PER_COMMUNITY = 2
CENTER_USERS = [("intake", "intake", "受理员"), ("dispatcher", "dispatcher", "派遣员"),
                ("shiftlead", "shiftlead", "值班长"), ("owner", "owner", "流程管理员"),
                ("auditor", "auditor", "审计员"), ("admin", "admin", "系统管理员")]


def units():
    """(code, name, kind, parent) of every demo unit, parents first."""
    yield (*CENTER, "center", None)
    for code, name in DEPARTMENTS:
        yield code, name, "department", CENTER[0]
    for d_code, d_name, streets in DISTRICTS:
        yield d_code, d_name, "district", CENTER[0]
        for s_code, s_name, communities in streets:
            yield s_code, s_name, "street", d_code
            for c_code, c_name in communities:
                yield c_code, c_name, "community", s_code
                for n in range(1, GRIDS_PER_COMMUNITY + 1):
                    yield f"{c_code}{n:02d}", f"{c_name}第{n}网格", "grid", c_code


def load(session, password="demo"):
    """Create what is missing of the demo org tree and users; returns (units added, users added)."""
    known_units = set(session.scalars(select(org.Unit.code)))
    known_users = set(session.scalars(select(org.User.username)))
    hashed = generate_password_hash(password)   # one hash for all demo users keeps loading fast
    added_units = added_users = 0
    for code, name, kind, parent in units():
        if code not in known_units:
            org.create_unit(session, code=code, name=name, kind=kind, parent_code=parent)
            added_units += 1
    wanted = [(u, role, CENTER[0], label) for u, role, label in CENTER_USERS]
    for code, name, kind, _ in units():
        if kind in ("district", "street", "community", "department"):
            wanted.append((f"officer-{code}", "officer", code, f"{name}工作人员"))
        elif kind == "grid":
            wanted.append((f"grid-{code}", "grid", code, f"{name}网格员"))
    for username, role, unit, label in wanted:
        if username not in known_users:
            session.add(org.User(username=username, display_name=label, password_hash=hashed, role=role,
                                 unit_code=unit))
            added_users += 1
    session.flush()
    return added_units, added_users


# Sample cases, each driven through the same services as the UI, to the step named last.
SAMPLE_CASES = [
    ({"channel": "grid", "category": "200115", "description": "明发商业广场台球馆门口污水横流",
      "address": "思明区嘉莲街道明发商业广场", "grid": "35020301100301", "suggested_urgency": "A"},
     "grid-35020301100301",
     [("accept_report", "intake", {"decision": "file", "urgency": "A"}),
      ("dispatch", "dispatcher", {"action": "assign", "unit": "350203"}),
      ("dispatch", "officer-350203", {"action": "assign", "unit": "350203011"}),
      ("dispatch", "officer-350203011", {"action": "assign", "unit": "350203011003"})]),
    ({"channel": "video", "category": "200509", "description": "叶厝菜市场门口占道经营（视频识别）",
      "address": "集美区侨英街道叶厝菜市场", "community": "350211002003"},
     "intake", []),
    ({"channel": "hotline12345", "category": "200301", "description": "夜间工地施工噪音扰民",
      "address": "湖里区湖里街道塘边社区", "community": "350206001002"},
     "intake", [("accept_report", "intake", {"decision": "file", "urgency": "B"})]),
    ({"channel": "grid", "category": "100102", "description": "污水井盖破损",
      "address": "思明区筼筜街道湖滨社区", "grid": "35020300800101"},
     "grid-35020300800101",
     [("accept_report", "intake", {"decision": "file", "urgency": "C"}),
      ("dispatch", "dispatcher", {"action": "assign", "unit": "350200901"}),
      ("dispatch", "officer-350200901", {"action": "handle"})]),
    ({"channel": "grid", "category": "200506", "description": "共享单车乱停放，已当场摆放整齐",
      "address": "思明区嘉莲街道", "grid": "35020301100302", "fixed_on_spot": True},
     "grid-35020301100302", []),
]


def load_cases(session, runtime, directory):
    """Sample cases at several stages, if there are none yet; returns how many were added."""
    if session.scalar(select(cases.Case.id).limit(1)) is not None:
        return 0
    for report, reporter, steps in SAMPLE_CASES:
        case, _ = cases.report(session, runtime, directory, user=org.get_user_by_username(session, reporter),
                               data=forms.ReportSchema().load(report))
        for step, username, form in steps:
            user = org.get_user_by_username(session, username)
            task = next(t for t, _ in worklist.list_tasks(session, directory, user=user, case_no=case.case_no)
                        if t.step == step)
            worklist.complete(session, runtime, directory, user=user, task_id=task.task_id, data=form)
    return len(SAMPLE_CASES)
