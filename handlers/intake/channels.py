"""Reports through the API: by staff (grid workers, intake operators) on the channels their role
may use, and by external clients (12345, 110, WeChat, web portal) on their own channel only."""
from marshmallow import fields

from .. import cases, forms, worklist

# Which channels a staff role may report on; the first is the default when none is given. An
# intake operator keys in what reached the center by phone or portal; the external systems
# themselves report as clients.
STAFF_CHANNELS = {
    "grid": ("grid",),
    "intake": ("intake", "hotline12345", "transfer110", "wechat", "web"),
}
EXTERNAL_CHANNELS = ("hotline12345", "transfer110", "wechat", "web")


class IntakeReportSchema(forms.ReportSchema):
    """A report from an external system: the channel is the URL's, and its own reference is required
    (a retry with the same reference returns the same case)."""

    external_ref = fields.String(required=True, validate=forms.length(min=1, max=100))

    class Meta:
        exclude = ("channel", "fixed_on_spot")


def default_channel(user):
    """The channel a staff member's report is on when they name none (None: they may not report)."""
    allowed = STAFF_CHANNELS.get(user.role)
    return allowed[0] if allowed else None


def staff_report(session, runtime, directory, *, user, data):
    """File a staff member's report (ReportSchema-loaded); returns (case, created).

    Raises worklist.PermissionDenied when the role may not report, or not on that channel.
    """
    allowed = STAFF_CHANNELS.get(user.role, ())
    if not allowed:
        raise worklist.PermissionDenied(f"{user.username} ({user.role}) 不能上报案件")
    if data["channel"] not in allowed:
        raise worklist.PermissionDenied(f"{user.role} 只能通过 {'、'.join(allowed)} 渠道上报")
    return cases.report(session, runtime, directory, user=user, data=data)


def client_report(session, runtime, directory, *, client, channel, data):
    """File an external client's report (IntakeReportSchema-loaded) on `channel`; returns (case, created).

    Raises worklist.PermissionDenied when `channel` is not the client's own.
    """
    if channel != client.channel:
        raise worklist.PermissionDenied(f"客户端 {client.name} 只能通过 {client.channel} 渠道上报")
    return cases.report(session, runtime, directory, user=client,
                        data={**data, "channel": channel, "fixed_on_spot": False})
