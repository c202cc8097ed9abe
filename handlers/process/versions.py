"""The versions of the case process, for owners and auditors: the list with the running cases on
each, one version, the latest (on which new cases start), the running cases of a version."""
from dataclasses import dataclass

from sqlalchemy import func, select

from engine import deployments
from engine.models import Deployment, Instance

from ..cases.models import Case
from .contract import PROCESS_ID


@dataclass
class Version:
    deployment: Deployment
    running: int            # cases not ended that run on it
    latest: bool


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
    return [Version(d, counts.get(d.id, 0), i == 0) for i, d in enumerate(rows)]


def get(session, version_id):
    deployment = session.get(Deployment, version_id)
    return deployment if deployment is not None and deployment.process_id == PROCESS_ID else None


def latest(session):
    return deployments.latest(session, PROCESS_ID)


def ordered_files(deployment):
    """The deployment's file names: BPMN first, then DMN, each alphabetically."""
    return sorted(deployment.files, key=lambda n: (not n.endswith(".bpmn"), n))


def running_cases(session, version_id):
    """The cases not ended that run on a version, oldest first."""
    return list(session.scalars(select(Case).join(Instance, Case.instance_id == Instance.id)
                                .where(Instance.deployment_id == version_id, Instance.completed.is_(False))
                                .order_by(Case.id)))
