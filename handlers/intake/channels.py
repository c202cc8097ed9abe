"""Reports through the API and the web UI: by staff (grid workers, intake operators) on the
channels their role may use (`org.capabilities.REPORT_CHANNELS`), and by external clients (12345,
110, WeChat, web portal) on their own channel only."""
from marshmallow import fields

from ..cases.forms import ReportSchema
from ..cases.service import CaseError, report
from ..errors import PermissionDenied
from ..forms import length
from ..org import capabilities

EXTERNAL_CHANNELS = ("hotline12345", "transfer110", "wechat", "web")


class IntakeReportSchema(ReportSchema):
    """A report from an external system: the channel is the URL's, and its own reference is required
    (a retry with the same reference returns the same case)."""

    external_ref = fields.String(required=True, validate=length(min=1, max=100))

    class Meta:
        exclude = ("channel", "fixed_on_spot")


def default_channel(user):
    """The channel a staff member's report is on when they name none (None: they may not report)."""
    allowed = capabilities.report_channels(user)
    return allowed[0] if allowed else None


def own_grid(user):
    """The grid a staff member must report in (a grid worker: the grid they patrol), None for any."""
    return user.unit_code if getattr(user, "role", None) == "grid" else None


def _in_own_grid(directory, user, data):
    """The report placed in the user's own grid when their role has one: a grid or community named
    outside it is refused on that field (422), one left out is filled in."""
    grid = own_grid(user)
    if grid is None:
        return data
    name = directory.name(grid)
    if data.get("grid") not in (None, grid):
        raise CaseError(f"网格员只能在本人网格（{name}）上报", "grid")
    if data.get("community") not in (None, directory.parent(grid)):
        raise CaseError(f"网格员只能在本人网格（{name}）所在社区上报", "community")
    return {**data, "grid": grid, "community": None}


def staff_report(session, runtime, directory, *, user, data):
    """File a staff member's report (ReportSchema-loaded); returns (case, created).

    Raises PermissionDenied when the role may not report, or not on that channel; CaseError (422)
    when a grid worker names another grid or community than their own.
    """
    allowed = capabilities.report_channels(user)
    if not allowed:
        raise PermissionDenied(f"{user.username} ({user.role}) 不能上报案件")
    if data["channel"] not in allowed:
        raise PermissionDenied(f"{user.role} 只能通过 {'、'.join(allowed)} 渠道上报")
    return report(session, runtime, directory, user=user, data=_in_own_grid(directory, user, data))


def client_report(session, runtime, directory, *, client, channel, data):
    """File an external client's report (IntakeReportSchema-loaded) on `channel`; returns (case, created).

    Raises PermissionDenied when `channel` is not the client's own.
    """
    if channel != client.channel:
        raise PermissionDenied(f"客户端 {client.name} 只能通过 {client.channel} 渠道上报")
    return report(session, runtime, directory, user=client, data={**data, "channel": channel, "fixed_on_spot": False})
