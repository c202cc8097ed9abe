"""Process versions: deploy .bpmn/.dmn files as a new version of a case process (owners and
admins; the same validation as the modeller, nothing stored on any problem), list the versions,
make an earlier version current again (a rollback, recorded on the system event chain), and start
a new case process as a copy of the default one."""
from flask import jsonify, request
from marshmallow import Schema, fields, validate

from engine.deployments import DeploymentError
from handlers.cases.schemas import Instant
from handlers.org import capabilities
from handlers.process import deploy, versions
from handlers.process.contract import PROCESS_ID

from .. import context, inputs
from ..auth import USER, caller, requires
from ..blueprint import bp
from ..docs import doc
from ..errors import ApiError, error_response
from ..schemas import BINARY
DEPLOY_NOTE = (
    "multipart/form-data: `files` repeated, one .bpmn or .dmn file each (at most 20, each at most 2 MiB, "
    "UTF-8), `note`, and `process` (the case process, default `case_handling`; another deployed one by its id, "
    "e.g. `municipal_emergency`; unknown: 404). Files not given are kept from the current version unless `only_given` is true. The XML "
    "is parsed with entities, DTDs and network access off (a DOCTYPE is refused); SpiffWorkflow parses every "
    "process and decision of every file and our lint checks expressions in the sandbox, timers, handlers, "
    "forms, decision tables and the case process's contract (README, \"Deploying: the rules\"). Files the current "
    "version's process does not use are not carried (`not_carried` names them). 201: a new version, now "
    "current; 200: exactly this content is deployed already (that version, `current` says whether new cases "
    "start on it; `message` says what to do: make it current with `POST /api/v1/deployments/{version}/current`). "
    "422: nothing deployed, "
    "`errors` is a list of problems `{file, element, line, message, detail}` (element: the BPMN element or "
    "decision id; line where known; message in Chinese, detail in the engine's words). 413: a file too large.")


class DeploymentFormSchema(Schema):
    """The multipart body of a deployment (for the document)."""

    files = fields.List(fields.Raw(metadata=BINARY), required=True, validate=validate.Length(min=1, max=20),
                        metadata={"description": ".bpmn or .dmn files, one per part (1 to 20)"})
    note = fields.String(validate=validate.Length(max=500), metadata={"description": "the change note"})
    only_given = fields.Boolean(metadata={"description": "true: deploy only the given files"})
    process = fields.String(metadata={"description": "the case process (default case_handling)"})


class NewProcessSchema(Schema):
    """A new case process, copied from the default one (JSON)."""

    process_id = fields.String(required=True, metadata={
        "description": "lower-case letters, digits and _, a letter first, 3-50 characters; not deployed yet"})
    name = fields.String(required=True, metadata={"description": "its name (at most 500 characters)"})
    note = fields.String(metadata={"description": "the change note of its first version"})


class DeploymentSchema(Schema):
    """A deployed version of the case process."""

    version = fields.Integer()
    hash = fields.String(metadata={"description": "SHA-256 of the process id and the files"})
    process_id = fields.String()
    created_by = fields.String(allow_none=True)
    created_at = Instant()
    note = fields.String()
    files = fields.List(fields.String())
    running_cases = fields.Integer(metadata={"description": "cases not ended that run on this version"})
    current = fields.Boolean(metadata={"description": "new cases start on this version"})
    latest = fields.Boolean(metadata={"description": "the same as `current` (its former name, kept for clients)"})


class DeploymentProblemSchema(Schema):
    file = fields.String(allow_none=True)
    element = fields.String(allow_none=True, metadata={"description": "the BPMN/DMN element id"})
    line = fields.Integer(allow_none=True)
    message = fields.String()
    detail = fields.String(allow_none=True)


class DeploymentErrorsSchema(Schema):
    error = fields.String()
    errors = fields.List(fields.Nested(DeploymentProblemSchema))


class DeployedSchema(DeploymentSchema):
    created = fields.Boolean(metadata={"description": "false: this content was deployed before"})
    message = fields.String(allow_none=True, metadata={"description": "when not created: what happened, in Chinese"})
    not_carried = fields.List(fields.String(), metadata={
        "description": "files of the current version not carried into this one (its process does not use them)"})


class MakeCurrentSchema(Schema):
    """The body of a rollback (JSON, optional)."""

    note = fields.String(metadata={"description": "why (at most 500 characters), kept on the event"})


class MadeCurrentSchema(DeploymentSchema):
    previous = fields.Integer(allow_none=True, metadata={"description": "the version that was current before"})
    changed = fields.Boolean(metadata={"description": "false: it was current already (nothing recorded)"})


def _json(deployment, *, running, current):
    return DeploymentSchema().dump({
        "version": deployment.id, "hash": deployment.hash, "process_id": deployment.process_id,
        "created_by": deployment.created_by, "created_at": deployment.created_at, "note": deployment.note,
        "files": versions.ordered_files(deployment), "running_cases": running, "current": current,
        "latest": current})


def _version_or_404(session, version_id):
    found = versions.get(session, version_id)
    if found is None:
        raise ApiError(404, "没有这个流程版本")
    return found


@bp.post("/deployments")
@doc("Deploy BPMN/DMN files as a new version of the case process (owners and admins)", tags=["processes"],
     description=DEPLOY_NOTE, form=DeploymentFormSchema, responses={201: DeployedSchema, 200: DeployedSchema, 422: DeploymentErrorsSchema})
@requires(USER)
def create_deployment():
    user = caller().user
    capabilities.require(user, "edit_processes", "只有流程管理员和系统管理员可以部署流程")
    form = inputs.read_form()
    given = {}
    for upload in request.files.getlist("files"):
        if upload.filename:
            # never more than one byte past the limit: a larger file is refused unread
            given[deploy.base_name(upload.filename)] = upload.stream.read(deploy.MAX_FILE_BYTES + 1)
    if not given:
        return error_response(422, "请上传至少一个 .bpmn 或 .dmn 文件（字段 files）",
                              [{"file": None, "element": None, "line": None, "message": "没有文件", "detail": None}])
    session = context.session()
    process_id = form.get("process", PROCESS_ID)
    base = versions.current(session, process_id)
    if base is None:
        raise ApiError(404, f"没有这个案件流程：{process_id}")
    only_given = str(form.get("only_given", "")).lower() in ("1", "true", "yes", "on")
    files, dropped = (given, []) if only_given else deploy.with_base(context.runtime(), given, base)
    try:
        deployment, created = deploy.deploy(session, context.runtime(), files=files, actor=user.username,
                                            note=form.get("note", ""), process_id=process_id)
    except deploy.TooLarge as err:
        raise ApiError(413, f"文件超过 {deploy.MAX_FILE_BYTES // 1024} KiB 的上限",
                       errors={"files": [f"{p.file}：{deploy.message_zh(p.message)}" for p in err.problems]}) from None
    except DeploymentError as err:
        problems = [{k: v for k, v in p.as_dict().items() if k in ("file", "element", "line", "message", "detail")}
                    for p in deploy.locate(err.problems, files)]
        return error_response(422, "校验未通过，未部署", problems)
    running = versions.running_counts(session).get(deployment.id, 0)
    current = versions.current(session, process_id)
    body = _json(deployment, running=running, current=current.id == deployment.id)
    message = None if created else deploy.already_deployed(deployment, current)
    return jsonify(created=created, message=message, not_carried=dropped, **body), 201 if created else 200


@bp.get("/deployments")
@doc("The versions of the case processes, newest first (owners, admins, auditors)", tags=["processes"],
     description="Every deployed case process's versions (`process_id` says whose; `current` is per process); "
                 "`?process=ID` only that process's.",
     responses={200: DeploymentSchema(many=True)})
@requires(USER)
def list_deployments():
    capabilities.require(caller().user, "read_processes", "无权查看流程版本")
    rows = versions.list_versions(context.session(), request.args.get("process") or None)
    return jsonify([_json(r.deployment, running=r.running, current=r.current) for r in rows])


@bp.post("/processes")
@doc("Start a new case process as a copy of the default one (owners and admins)", tags=["processes"],
     description="The files the current default version uses, its diagram saved as `<process_id>.bpmn` with the "
                 "process renamed; validated and deployed as the new process's first version (201). 422: a bad or "
                 "taken id, no name. Route cases to it by a rule of the routing table (`case_routing.dmn`).",
     json=NewProcessSchema, responses={201: DeploymentSchema, 422: DeploymentErrorsSchema})
@requires(USER)
def create_process():
    user = caller().user
    capabilities.require(user, "edit_processes", "只有流程管理员和系统管理员可以新建流程")
    body = inputs.read_json()
    errors = {k: ["必须是文本"] for k in ("process_id", "name", "note") if k in body and not isinstance(body[k], str)}
    errors.update({k: ["必填"] for k in ("process_id", "name") if not body.get(k)})
    if errors:
        raise ApiError(422, errors=errors)
    session = context.session()
    try:
        deploy.check_new_id(session, body["process_id"])
    except DeploymentError as err:
        raise ApiError(422, "未能新建流程", errors={"process_id": [p.message for p in err.problems]}) from None
    try:
        deployment = deploy.copy_default(session, context.runtime(), process_id=body["process_id"],
                                         name=body["name"], actor=user.username, note=body.get("note", ""))
    except DeploymentError as err:
        problems = [{k: v for k, v in p.as_dict().items() if k in ("file", "element", "line", "message", "detail")}
                    for p in deploy.locate(err.problems, {})]
        return error_response(422, "未能新建流程", problems)
    return jsonify(_json(deployment, running=0, current=True)), 201


@bp.post("/deployments/<int:version>/current")
@doc("Make a version current again: new cases start on it (a rollback; owners and admins)", tags=["processes"],
     description="Recorded as a `made_current` event on the system event chain (who, which version, from "
                 "which, the note). Running cases stay on their versions (move them with the migration). "
                 "Making the current version current changes nothing (`changed` false).",
     json=MakeCurrentSchema, responses={200: MadeCurrentSchema})
@requires(USER)
def make_current(version):
    user = caller().user
    capabilities.require(user, "edit_processes", "只有流程管理员和系统管理员可以回退流程版本")
    body = inputs.read_json() if request.get_data(cache=True) else {}
    note = body.get("note", "")
    if not isinstance(note, str):
        raise ApiError(422, errors={"note": ["必须是文本"]})
    session = context.session()
    target = _version_or_404(session, version)
    try:
        before = versions.make_current(session, context.runtime(), target, actor=user.username, note=note)
    except DeploymentError as err:
        raise ApiError(422, errors={"note": [p.message for p in err.problems]}) from None
    running = versions.running_counts(session).get(target.id, 0)
    return jsonify(previous=before.id if before else None, changed=before is None or before.id != target.id,
                   **_json(target, running=running, current=True))
