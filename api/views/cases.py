"""Cases: a staff member's report (JSON, or a form with photos), the case list of the caller's
unit subtree, one case, its timeline, its photos, and 督办 by hand."""
from flask import jsonify, send_file, url_for

from handlers import paging
from handlers.cases import attachments, history, photos, search, supervision, suspension
from handlers.cases.forms import ReportSchema
from handlers.cases.schemas import case_json, cases_json
from handlers.intake import channels

from .. import context, inputs, lookups
from ..auth import CLIENT, USER, caller, requires
from ..blueprint import bp
from ..docs import case_links, doc
from ..errors import ApiError
from ..schemas import (CasePageSchema, CaseQuerySchema, CaseSchema, EventSchema, PhotoFormSchema, PhotoListSchema,
                       PhotoSchema, PhotoUploadSchema, ReportFormSchema, StaffReportSchema)


def case_response(case, created):
    """The case JSON: 201 with its Location when this request filed it, 200 when it existed already."""
    body = jsonify(case_json(context.session(), context.runtime(), context.directory(), case))
    if not created:
        return body, 200
    return body, 201, {"Location": url_for("api.show_case", case_no=case.case_no)}


PHOTO, EVENTS = PhotoSchema(), EventSchema(many=True)


def photo_json(case, attachment):
    return PHOTO.dump({**{name: getattr(attachment, name) for name in PHOTO.fields if name != "url"},
                       "url": url_for("api.photo_file", case_no=case.case_no, photo_id=attachment.id)})


@bp.post("/cases")
@doc("Report a problem (grid workers; intake operators keying in a call)", tags=["cases"],
     description="JSON, or multipart/form-data with the same fields and `photos` (repeated). The channel "
                 "defaults to the role's: grid for grid workers, intake for intake operators. A retry with the "
                 "same channel and external_ref answers 200 with the case it filed, never a second case.",
     json=StaffReportSchema, form=ReportFormSchema, responses={201: CaseSchema, 200: CaseSchema},
     links={201: case_links(), 200: case_links()})
@requires(USER)
def report_case():
    user = caller().user
    channel = channels.default_channel(user)
    if channel is None:
        raise ApiError(403, f"{user.username} ({user.role}) 不能上报案件")
    payload, files = inputs.read_report()
    payload.setdefault("channel", channel)
    data = ReportSchema().load(payload)
    max_bytes = context.config("CITYGRID_MAX_PHOTO_BYTES")
    uploaded = inputs.read_photos(files, max_bytes=max_bytes)

    def file_it():
        case, created = channels.staff_report(context.session(), context.runtime(), context.directory(),
                                              user=user, data=data)
        if created and uploaded:
            photos.add(context.session(), context.runtime(), case=case, kind="before", photos=uploaded, user=user,
                       folder=context.config("CITYGRID_UPLOAD_DIR"), max_bytes=max_bytes)
        return case, created
    return case_response(*context.retrying(file_it))


@bp.get("/cases")
@doc("The cases the caller may see, newest report first, one page", tags=["cases"], query=CaseQuerySchema,
     description="A page by its number (`page`), or the page after another by that page's `next` cursor "
                 "(`after`, with the same filters and `per_page`): read by where the page before ended, as fast "
                 "at the last page as at the first.",
     responses={200: CasePageSchema})
@requires(USER)
def list_cases():
    query = inputs.query(CaseQuerySchema())
    for name in ("unit", "area"):
        if query[name] and not context.directory().exists(query[name]):
            raise ApiError(422, errors={name: [f"未知单位 {query[name]}"]})
    filters = search.Filters(case_no=query["q"], status=query["status"], category=query["category"],
                             unit=query["unit"], overdue=query["overdue"], date_from=query["date_from"],
                             date_to=query["date_to"], dated=query["dated"], area=query["area"],
                             channel=query["channel"], urgency=query["urgency"], light=query["light"],
                             due_on=query["due"])
    try:
        after = paging.Cursor.decode(query["after"]) if query["after"] else None
    except paging.BadCursor:
        raise ApiError(422, errors={"after": ["不是本列表给出的游标"]}) from None
    session, runtime, directory = context.session(), context.runtime(), context.directory()
    page = search.search(session, directory, user=caller().user, filters=filters, now=context.now(),
                         page=query["page"], per_page=query["per_page"], after=after)
    return jsonify(items=cases_json(session, runtime, directory, page.items), total=page.total,
                   page=page.page, per_page=page.per_page, pages=page.pages, next=page.next)


@bp.get("/cases/<case_no>")
@doc("One case (as `cases show --json`)", tags=["cases"], responses={200: CaseSchema})
@requires(USER, CLIENT)
def show_case(case_no):
    return case_response(lookups.case_or_404(caller(), case_no), created=False)


@bp.get("/cases/<case_no>/events")
@doc("The case's timeline: its hash-chained events, oldest first", tags=["cases"],
     responses={200: EventSchema(many=True)})
@requires(USER, CLIENT)
def case_events(case_no):
    case = lookups.case_or_404(caller(), case_no)
    return jsonify(EVENTS.dump(history.timeline(context.session(), case)))


@bp.get("/cases/<case_no>/photos")
@doc("The case's photos (before, after, check, snapshot)", tags=["cases"], responses={200: PhotoListSchema},
     links={200: {"photo_file": {"operationId": "photo_file", "parameters": {
         "case_no": "$request.path.case_no", "photo_id": "$response.body#/photos/0/id"}}}})
@requires(USER, CLIENT)
def case_photos(case_no):
    case = lookups.case_or_404(caller(), case_no)
    return jsonify(photos=[photo_json(case, a) for a in attachments.for_case(context.session(), case.id)])


@bp.post("/cases/<case_no>/photos")
@doc("Add photos to a case", tags=["cases"],
     description="multipart/form-data: `kind` and `photos` (repeated). `after` needs the case's open handle "
                 "task, `check` its open check or verify task, held by the caller.",
     form=PhotoFormSchema, responses={201: PhotoListSchema}, errors=(409,))
@requires(USER)
def add_photos(case_no):
    user = caller().user
    case = lookups.case_or_404(caller(), case_no)
    if not inputs.is_form():
        raise ApiError(400, "照片须以 multipart/form-data 上传")
    kind = PhotoUploadSchema().load(inputs.read_form(skip=("photos",)))["kind"]
    max_bytes = context.config("CITYGRID_MAX_PHOTO_BYTES")
    uploaded = inputs.read_photos(inputs.request_files(), required=True, max_bytes=max_bytes)
    step = photos.upload_step(context.session(), context.directory(), user=user, case=case, kind=kind)
    stored = photos.add(context.session(), context.runtime(), case=case, kind=kind, photos=uploaded, user=user,
                        folder=context.config("CITYGRID_UPLOAD_DIR"), max_bytes=max_bytes, step=step)
    return jsonify(photos=[photo_json(case, a) for a in stored]), 201


@bp.get("/cases/<case_no>/photos/<int:photo_id>")
@doc("One photo's image", tags=["cases"], responses={200: None})
@requires(USER, CLIENT)
def photo_file(case_no, photo_id):
    case = lookups.case_or_404(caller(), case_no)
    found = photos.get(context.session(), case, photo_id)
    path = attachments.path_of(context.config("CITYGRID_UPLOAD_DIR"), found) if found else None
    if path is None or not path.is_file():
        raise ApiError(404, "照片不存在")
    return send_file(path, mimetype=found.content_type, max_age=3600)


@bp.post("/cases/<case_no>/supervise")
@doc("Start a 督办 on a case", tags=["cases"],
     description="`shiftlead` (any case) or `supervisor` (a case of their subtree): the comment reaches the unit "
                 "holding the case as its `supervise_reply` step. 409 when the case is not being dispatched or "
                 "handled (nothing waits for a 督办).",
     json=supervision.SuperviseFormSchema, responses={200: CaseSchema}, errors=(409,))
@requires(USER)
def supervise_case(case_no):
    case = lookups.case_or_404(caller(), case_no)
    supervision.start(context.session(), context.runtime(), context.directory(), user=caller().user, case=case,
                      data=inputs.read_json())
    return jsonify(case_json(context.session(), context.runtime(), context.directory(), case))


@bp.post("/cases/<case_no>/resume")
@doc("Resume a suspended case (挂起 → 处置中)", tags=["cases"],
     description="`shiftlead`: the clock runs again and the deadline moves by exactly the working time the case "
                 "was suspended (the holding unit resumes through its `resume_case` task instead; the diagram's "
                 "timer resumes it at the expected date). 409 when the case is not suspended.",
     json=suspension.ResumeFormSchema, responses={200: CaseSchema}, errors=(409,))
@requires(USER)
def resume_case(case_no):
    case = lookups.case_or_404(caller(), case_no)
    suspension.resume(context.session(), context.runtime(), user=caller().user, case=case, data=inputs.read_json())
    return jsonify(case_json(context.session(), context.runtime(), context.directory(), case))
