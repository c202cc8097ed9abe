"""The versions of the case processes, for owners and auditors: the processes (the default one and
every other deployed), the list with the running cases on each version, one version, the current one
of a process (on which its new cases start: the newest, unless an owner made an earlier one current
again), making a version current, the running cases of a version."""
from dataclasses import dataclass

from sqlalchemy import func, select

from engine import deployments
from engine.db import valid_id
from engine.models import CurrentDeployment, Deployment, Instance

from ..cases.models import Case
from .contract import PROCESS_ID
from .deploy import clean_note


@dataclass
class Version:
    deployment: Deployment
    running: int            # cases not ended that run on it
    current: bool           # new cases start on it


def running_counts(session):
    """{deployment id: number of running cases on it}."""
    rows = session.execute(select(Instance.deployment_id, func.count())
                           .join(Case, Case.instance_id == Instance.id)
                           .where(Instance.completed.is_(False)).group_by(Instance.deployment_id))
    return dict(rows.all())


@dataclass
class Process:
    process_id: str
    name: str               # the process element's name (its id when it has none)
    current: Deployment
    default: bool           # the process cases start on unless the routing table says otherwise


def processes(session, runtime) -> list[Process]:
    """Every deployed case process, the default first, then by id."""
    rows = session.scalars(select(CurrentDeployment).order_by(CurrentDeployment.process_id))
    found = []
    for row in rows:
        deployment = runtime.deployment(session, row.deployment_id)
        spec, _ = runtime.specs(deployment)
        found.append(Process(row.process_id, spec.description or row.process_id, deployment,
                             row.process_id == PROCESS_ID))
    return sorted(found, key=lambda p: (not p.default, p.process_id))


def list_versions(session, process_id=None):
    """Every version of the case processes (or of one), newest first, with its running cases."""
    counts = running_counts(session)
    query = select(Deployment).order_by(Deployment.id.desc())
    if process_id is not None:
        query = query.where(Deployment.process_id == process_id)
    currents = dict(session.execute(select(CurrentDeployment.process_id, CurrentDeployment.deployment_id)).all())
    return [Version(d, counts.get(d.id, 0), currents.get(d.process_id) == d.id) for d in session.scalars(query)]


def get(session, version_id, process_id=None):
    """The version of that id (an int or its text; anything else, or out of range: None), of
    `process_id` when given."""
    version_id = valid_id(version_id)
    deployment = session.get(Deployment, version_id) if version_id is not None else None
    if deployment is None or (process_id is not None and deployment.process_id != process_id):
        return None
    return deployment


def current(session, process_id=PROCESS_ID):
    """The version new cases of `process_id` (by default the default process) start on."""
    return deployments.current(session, process_id)


def make_current(session, runtime, version: Deployment, *, actor, note=""):
    """Make `version` the one new cases start on (a `made_current` event on the system stream, with
    the owner's note); returns the version that was current before. DeploymentError for a bad note."""
    return deployments.make_current(session, runtime, version, actor=actor, note=clean_note(note))


def ordered_files(deployment):
    """The deployment's file names: BPMN first, then DMN, each alphabetically."""
    return sorted(deployment.files, key=lambda n: (not n.endswith(".bpmn"), n))


def running_cases(session, version_id):
    """The cases not ended that run on a version, oldest first."""
    return list(session.scalars(select(Case).join(Instance, Case.instance_id == Instance.id)
                                .where(Instance.deployment_id == version_id, Instance.completed.is_(False))
                                .order_by(Case.id)))
