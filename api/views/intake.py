"""External systems: reports on a client's own channel, and the video detector's events."""
from handlers.cases import photos
from handlers.intake import channels, video
from handlers.intake.violations import get_violations

from .. import context, inputs
from ..auth import CLIENT, caller, requires
from ..blueprint import bp
from ..docs import case_links, doc
from ..errors import ApiError
from ..schemas import CaseSchema, IntakeFormSchema, VideoFormSchema
from .cases import case_response

CHANNEL_RULE = "/intake/<any(" + ",".join(channels.EXTERNAL_CHANNELS) + "):channel>"


def _own_channel(channel):
    client = caller().client
    if client.channel != channel:
        raise ApiError(403, f"客户端 {client.name} 只能通过 {client.channel} 渠道上报")
    return client


@bp.post(CHANNEL_RULE)
@doc("A report from an external system on its own channel (12345, 110, WeChat, web portal)", tags=["intake"],
     description="external_ref, the system's own reference, is required: a retry with the same reference "
                 "answers 200 with the case filed the first time. Another channel than the client's is 403.",
     json=channels.IntakeReportSchema, form=IntakeFormSchema, responses={201: CaseSchema, 200: CaseSchema},
     links={201: case_links(), 200: case_links()})
@requires(CLIENT)
def intake_report(channel):
    client = _own_channel(channel)
    payload, files = inputs.read_report()
    data = channels.IntakeReportSchema().load(payload)
    max_bytes = context.config("CITYGRID_MAX_PHOTO_BYTES")
    uploaded = inputs.read_photos(files, max_bytes=max_bytes)

    def file_it():
        case, created = channels.client_report(context.session(), context.runtime(), context.directory(),
                                               client=client, channel=channel, data=data)
        if created and uploaded:
            photos.add(context.session(), context.runtime(), case=case, kind="before", photos=uploaded,
                       user=client, folder=context.config("CITYGRID_UPLOAD_DIR"), max_bytes=max_bytes)
        return case, created
    return case_response(*context.retrying(file_it))


@bp.post("/intake/video")
@doc("A video detection with its snapshot (the video client only)", tags=["intake"],
     description="multipart/form-data. The first detection of a violation at a camera files a case (201); "
                 "further ones while that case is open are attached to it (200, the snapshot and a timeline "
                 "event), as is a retry of the same event_id.",
     form=VideoFormSchema, responses={201: CaseSchema, 200: CaseSchema}, links={201: case_links(), 200: case_links()})
@requires(CLIENT)
def intake_video():
    client = _own_channel("video")
    if not inputs.is_form():
        raise ApiError(400, "视频识别事件须以 multipart/form-data 上传（含抓拍图片 snapshot）")
    event = video.VideoEventSchema().load(inputs.read_form(skip=("snapshot",)))
    max_bytes = context.config("CITYGRID_MAX_PHOTO_BYTES")
    snapshots = inputs.read_photos(inputs.request_files(), "snapshot", required=True, max_bytes=max_bytes)
    if len(snapshots) > 1:
        raise ApiError(422, errors={"snapshot": ["每个事件只能有一张抓拍图片"]})
    snapshot = snapshots[0]

    def take_it():
        return video.detect(context.session(), context.runtime(), context.directory(), get_violations(),
                            client=client, event=event, snapshot=snapshot,
                            folder=context.config("CITYGRID_UPLOAD_DIR"), max_bytes=max_bytes)
    return case_response(*context.retrying(take_it))
