"""Sample cases of the demo, each at a different stage, driven through the same services as the UI.
Grid workers' reports and the camera's carry coordinates near their grid (the phone's position, the
camera's place); the hotline call names its community only, so the map places it at the centre."""
from sqlalchemy import select

from ..cases.forms import ReportSchema
from ..cases.models import Case
from ..cases.service import report
from ..org.service import get_user_by_username
from ..worklist.service import complete, list_tasks

# Sample cases, each driven through the same services as the UI, to the step named last.
SAMPLE_CASES = [
    ({"channel": "grid", "category": "200115", "description": "明发商业广场台球馆门口污水横流",
      "address": "思明区嘉莲街道明发商业广场", "grid": "35020301100301", "suggested_urgency": "A",
      "lat": 24.49342, "lng": 118.12334},
     "grid-35020301100301",
     [("accept_report", "intake", {"decision": "file", "urgency": "A"}),
      ("dispatch", "dispatcher", {"action": "assign", "unit": "350203"}),
      ("dispatch", "officer-350203", {"action": "assign", "unit": "350203011"}),
      ("dispatch", "officer-350203011", {"action": "assign", "unit": "350203011003"})]),
    ({"channel": "video", "category": "200509", "description": "叶厝菜市场门口占道经营（视频识别）",
      "address": "集美区侨英街道叶厝菜市场", "community": "350211002003", "lat": 24.60571, "lng": 118.11046},
     "intake", []),
    ({"channel": "hotline12345", "category": "200301", "description": "夜间工地施工噪音扰民",
      "address": "湖里区湖里街道塘边社区", "community": "350206001002"},
     "intake", [("accept_report", "intake", {"decision": "file", "urgency": "B"})]),
    ({"channel": "grid", "category": "100102", "description": "污水井盖破损",
      "address": "思明区筼筜街道湖滨社区", "grid": "35020300800101", "lat": 24.47981, "lng": 118.10192},
     "grid-35020300800101",
     [("accept_report", "intake", {"decision": "file", "urgency": "C"}),
      ("dispatch", "dispatcher", {"action": "assign", "unit": "350200901"}),
      ("dispatch", "officer-350200901", {"action": "handle"})]),
    ({"channel": "grid", "category": "200506", "description": "共享单车乱停放，已当场摆放整齐",
      "address": "思明区嘉莲街道", "grid": "35020301100302", "fixed_on_spot": True,
      "lat": 24.49108, "lng": 118.12577},
     "grid-35020301100302", []),
]


def load(session, runtime, directory, *, force=False):
    """Sample cases at several stages, if there are no cases yet (or `force`: the history just played
    into an empty database); returns how many were added."""
    if not force and session.scalar(select(Case.id).limit(1)) is not None:
        return 0
    for data, reporter, steps in SAMPLE_CASES:
        case, _ = report(session, runtime, directory, user=get_user_by_username(session, reporter),
                         data=ReportSchema().load(data))
        for step, username, form in steps:
            user = get_user_by_username(session, username)
            task = next(t for t, _ in list_tasks(session, directory, user=user, case_no=case.case_no)
                        if t.step == step)
            complete(session, runtime, directory, user=user, task_id=task.task_id, data=form)
    return len(SAMPLE_CASES)
