"""The versions of the case process, for owners and auditors: the list with the running cases on
each, one version, the current one (on which new cases start: the newest, unless an owner made an
earlier one current again), making a version current, the running cases of a version."""
from dataclasses import dataclass

from sqlalchemy import func, select

from engine import deployments
from engine.db import valid_id
from engine.models import Deployment, Instance

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


def list_versions(session):
    """Every version of the case process, newest first, with its running cases."""
    counts = running_counts(session)
    rows = list(session.scalars(select(Deployment).where(Deployment.process_id == PROCESS_ID)
                                .order_by(Deployment.id.desc())))
    now = current(session)
    return [Version(d, counts.get(d.id, 0), now is not None and d.id == now.id) for d in rows]


def get(session, version_id):
    """The version of that id (an int or its text; anything else, or out of range: None)."""
    version_id = valid_id(version_id)
    deployment = session.get(Deployment, version_id) if version_id is not None else None
    return deployment if deployment is not None and deployment.process_id == PROCESS_ID else None


def current(session):
    """The version new cases start on."""
    return deployments.current(session, PROCESS_ID)


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
