"""The scoring rules, as the process owners deploy them: `evaluation_weights.dmn` gives for each
subject (handling units, areas, grid workers) the base score, the weights of the composite
indicator (综合指标值), the grid workers' time limit for checks and the units' for answering a 督办; `evaluation_grades.dmn` the
grade of a composite. Both are files of the case process's versions, edited in the modeller and
checked when a version is deployed (`check_tables`); the evaluation reads the current version's."""
from dataclasses import dataclass

from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine

from engine import deployments
from engine.deployments import Problem

from ..errors import Invalid
from ..process import decisions
from ..process.contract import EVALUATION_GRADES, EVALUATION_WEIGHTS, PROCESS_ID

WEIGHTS, GRADES = EVALUATION_WEIGHTS, EVALUATION_GRADES
HANDLING, AREA, GRID = "handling", "area", "grid"
SUBJECTS = (HANDLING, AREA, GRID)
OUTPUTS = ("base", "on_time", "completion", "rework_free", "check_hours", "reply_hours")
# The composites a grade table must answer, each with exactly one grade.
PROBES = (0, 30, 59.99, 60, 70, 79.99, 80, 85, 89.99, 90, 95, 100)


@dataclass(frozen=True)
class Weights:
    base: float            # 得分 = base − 扣分
    on_time: float         # weight of 按期处置率 (areas: 按期结案率)
    completion: float      # weight of 处置率 (areas: 结案率)
    rework_free: float     # weight of 1 − 返工率
    check_hours: float     # grid workers: working hours in which a check or verification is on time
    reply_hours: float     # handling units: working hours in which a 督办 is answered in time

    def composite(self, on_time_rate, completion_rate, rework_rate=None):
        """综合指标值, 0–100 (two decimals): None when there was nothing to rate (no denominator);
        no check at all counts as no rework."""
        if on_time_rate is None or completion_rate is None:
            return None
        total = (self.on_time * on_time_rate + self.completion * completion_rate
                 + self.rework_free * (1 - (rework_rate or 0)))
        return round(100 * total, 2)


@dataclass(frozen=True)
class Rules:
    version: int                 # the version whose tables these are
    weights: dict                # subject -> Weights
    grades: object               # the grade table's DMN engine

    def grade(self, composite):
        if composite is None:
            return None
        return decisions.ask(self.grades, {"composite": composite}).get("grade")


def _weights(table, subject):
    answer = decisions.ask(table, {"subject": subject})
    return Weights(**{name: float(answer[name]) for name in OUTPUTS})


def current(session, runtime) -> Rules:
    """The rules of the current version of the case process; Invalid when it has no such tables."""
    deployment = deployments.current(session, PROCESS_ID)
    weights = decisions.table(deployment, WEIGHTS) if deployment else None
    grades = decisions.table(deployment, GRADES) if deployment else None
    if weights is None or grades is None:
        raise Invalid(f"当前流程版本缺少考评规则表 {WEIGHTS}.dmn / {GRADES}.dmn")
    return Rules(deployment.id, {s: _weights(weights, s) for s in SUBJECTS}, grades)


def check_tables(spec, tables):
    """Decision linter: a version of the case process carries both tables, and they answer what
    the evaluation asks (every subject, numbers, weights of a subject adding up to 1, every grade)."""
    if spec.name != PROCESS_ID:
        return []
    problems = []
    for decision in (WEIGHTS, GRADES):
        if decision not in tables:
            problems.append(Problem(None, spec.name, None, f"the evaluation needs the decision table {decision}"))
    if problems:
        return problems
    weights, grades = DMNEngine(tables[WEIGHTS]), DMNEngine(tables[GRADES])
    for subject in SUBJECTS:
        try:
            found = _weights(weights, subject)
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(Problem(None, WEIGHTS, None, f"decision table has no numbers for subject {subject!r}: {exc}"))
            continue
        except Exception as exc:   # a broken cell: report it on the table, whatever it raised
            problems.append(Problem(None, WEIGHTS, None, f"decision table: {exc}"))
            break
        shares = (found.on_time, found.completion, found.rework_free)
        if min(shares) < 0 or found.base <= 0 or found.check_hours < 0 or found.reply_hours < 0:
            problems.append(Problem(None, WEIGHTS, None, f"subject {subject!r}: weights and base must not be negative"))
        elif subject != GRID and abs(sum(shares) - 1) > 1e-9:
            problems.append(Problem(None, WEIGHTS, None,
                                    f"subject {subject!r}: the weights add up to {sum(shares):g}, not 1"))
        elif subject == GRID and not found.check_hours:
            problems.append(Problem(None, WEIGHTS, None, "subject 'grid' needs a check time limit (check_hours)"))
        elif subject == HANDLING and not found.reply_hours:
            problems.append(Problem(None, WEIGHTS, None, "subject 'handling' needs a 督办 reply time limit (reply_hours)"))
    for composite in PROBES:
        try:
            grade = decisions.ask(grades, {"composite": composite}).get("grade")
        except Exception as exc:   # a broken cell: report it on the table, whatever it raised
            problems.append(Problem(None, GRADES, None, f"decision table: {exc}"))
            break
        if not isinstance(grade, str) or not grade:
            problems.append(Problem(None, GRADES, None, f"decision table has no grade for composite = {composite}"))
    return problems
