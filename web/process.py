"""Process owners' pages: the modeller (bpmn-js with a properties panel, the DMN tables in dmn-js),
validating and deploying what was edited or uploaded, the version list with a readable diff
between any two versions and every file for download, and moving running cases between versions
(a dry run, then one unit of work per case).

Owners and admins change things; auditors may read the versions, diffs and files."""
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.http import dump_options_header

from engine.db import discard, get_db, get_session
from engine import sources
from engine.deployments import DeploymentError
from handlers import localtime
from handlers.cases.statuses import OPEN_STATUSES
from handlers.process import deploy as deploying, diff as diffing, migration, versions
from handlers.process.contract import PROCESS_ID
from handlers.worklist.forms import FORMS

from . import common, labels

bp = Blueprint("process", __name__, url_prefix="/process")
bp.before_request(common.sync_clock)
# A JSON body of MAX_FILES files of MAX_FILE_BYTES each, with room for JSON escaping.
MAX_JSON_BYTES = 2 * deploying.MAX_FILES * deploying.MAX_FILE_BYTES


def _version_or_404(version_id):
    found = versions.get(get_session(), version_id)
    if found is None:
        abort(404)
    return found


def _named(process_id):
    """The `process` argument of a page's URL: none for the default process."""
    return None if process_id == PROCESS_ID else process_id


def _process_or_404(process_id):
    """The current version of a deployed case process (404 for any other id)."""
    found = versions.current(get_session(), process_id) if isinstance(process_id, str) else None
    if found is None:
        abort(404)
    return found


def _version_json(deployment, *, files=False):
    data = dict(id=deployment.id, hash=deployment.hash, created_by=deployment.created_by,
                created_at=localtime.isoformat(deployment.created_at), note=deployment.note,
                file_names=versions.ordered_files(deployment),
                main_file=sources.defining_file(deployment.files, deployment.process_id))
    if files:
        data["files"] = {name: deployment.files[name] for name in data["file_names"]}
    return data


def _editor_config():
    """What the properties panel offers: the known forms, handlers, statuses (names are data)."""
    return dict(
        forms=[[name, labels.STEP.get(name, name)] for name in FORMS],
        services=sorted(common.runtime().services),
        statuses=[[code, text] for code, text in labels.STATUS.items() if code in OPEN_STATUSES],
    )


# --- the modeller -----------------------------------------------------------------------------

@bp.get("/modeller")
@common.requires("edit_processes")
def modeller():
    session = get_session()
    chosen = request.args.get("version")
    current = versions.get(session, chosen) if chosen else _process_or_404(request.args.get("process", PROCESS_ID))
    if current is None:
        abort(404)
    return render_template("modeller.html", current=current, versions=versions.list_versions(session),
                           config=_editor_config(), max_kib=deploying.MAX_FILE_BYTES // 1024, problems=None, note="")


@bp.get("/versions/<int:version_id>.json")
@common.requires("read_processes")
def version_json(version_id):
    return jsonify(_version_json(_version_or_404(version_id), files=True))


def _json_files():
    """({file name: bytes}, note, process id) from the modeller's JSON body; 400/413 when it is not
    one, 404 for a process that is not deployed."""
    if request.content_length is None or request.content_length > MAX_JSON_BYTES:
        abort(413)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("files"), dict):
        abort(400)
    files = {}
    for name, text in body["files"].items():
        if not isinstance(name, str) or not isinstance(text, str):
            abort(400)
        files[deploying.base_name(name)] = text.encode("utf-8")
    note = body.get("note") if isinstance(body.get("note"), str) else ""
    process_id = body.get("process", PROCESS_ID)
    _process_or_404(process_id)
    return files, note, process_id


def _problems_response(problems, status=422):
    return jsonify(ok=False, problems=[p.as_dict() if hasattr(p, "as_dict") else p for p in problems]), status


def _located(err, files):
    status = 413 if isinstance(err, deploying.TooLarge) else 422
    return _problems_response(deploying.locate(err.problems, files), status)


@bp.post("/validate")
@common.requires("edit_processes")
def validate():
    """Parse and lint what the modeller holds; nothing is stored."""
    files, _, process_id = _json_files()
    try:
        problems = deploying.validate(get_session(), common.runtime(), files, process_id)
    except DeploymentError as err:
        return _located(err, files)
    if problems:
        return _problems_response(problems)
    return jsonify(ok=True, problems=[])


@bp.post("/deploy")
@common.requires("edit_processes")
def deploy():
    """Validate and deploy what the modeller holds as a new version (201), or say which version
    already has exactly this content (200); 422 with the problems, and nothing stored."""
    files, note, process_id = _json_files()
    session = get_session()
    try:
        deployment, created = deploying.deploy(session, common.runtime(), files=files, actor=common.me().username,
                                               note=note, process_id=process_id)
    except DeploymentError as err:
        return _located(err, files)
    data = _version_json(deployment)
    current = versions.current(session, process_id)
    data["current"] = current.id == deployment.id
    message = None if created else deploying.already_deployed(deployment, current)
    return jsonify(ok=True, created=created, version=data, message=message), 201 if created else 200


@bp.post("/upload")
@common.requires("edit_processes")
def upload():
    """Deploy uploaded .bpmn/.dmn files (from a desktop modeller); the files not uploaded are kept
    from the current version (those its process uses) unless `only_given` is ticked."""
    session = get_session()
    note = request.form.get("note", "")
    process_id = request.form.get("process", PROCESS_ID)
    base = _process_or_404(process_id)
    files, problems = {}, []
    for storage in request.files.getlist("files"):
        if not storage or not storage.filename:
            continue
        data = storage.stream.read(deploying.MAX_FILE_BYTES + 1)     # never more than one past the limit
        files[deploying.base_name(storage.filename)] = data
    status = 422
    if not files:
        problems = [deploying.Located(None, None, None, "请选择要上传的 .bpmn 或 .dmn 文件")]
    else:
        merged, dropped = (files, []) if request.form.get("only_given") else \
            deploying.with_base(common.runtime(), files, base)
        try:
            deployment, created = deploying.deploy(session, common.runtime(), files=merged,
                                                   actor=common.me().username, note=note, process_id=process_id)
        except DeploymentError as err:
            status = 413 if isinstance(err, deploying.TooLarge) else 422
            problems = deploying.locate(err.problems, merged)
        else:
            if created:
                flash(f"已部署为版本 {deployment.id}（{deployment.hash[:12]}）" +
                      (f"；未沿用流程不使用的文件：{'、'.join(dropped)}" if dropped else ""), "success")
            else:
                flash(deploying.already_deployed(deployment, versions.current(session, process_id)), "info")
            return redirect(url_for("process.index", process=_named(process_id)))
    return render_template("modeller.html", current=versions.current(session, process_id),
                           versions=versions.list_versions(session),
                           config=_editor_config(), max_kib=deploying.MAX_FILE_BYTES // 1024, problems=problems,
                           note=note), status


# --- versions ---------------------------------------------------------------------------------

@bp.get("/versions")
@common.requires("read_processes")
def index():
    session = get_session()
    process = _process_or_404(request.args.get("process", PROCESS_ID)).process_id
    return render_template("versions.html", rows=versions.list_versions(session, process), process=process,
                           processes=versions.processes(session, common.runtime()), new_id="", new_name="")


@bp.post("/new")
@common.requires("edit_processes")
def new_process():
    """A new case process: a copy of the default one under the id and name the owner gives,
    deployed as its first version; then the modeller opens it."""
    session = get_session()
    new_id, name = request.form.get("process_id", "").strip(), request.form.get("name", "")
    try:
        deployment = deploying.copy_default(session, common.runtime(), process_id=new_id, name=name,
                                            actor=common.me().username, note=request.form.get("note", ""))
    except DeploymentError as err:
        flash("；".join(p.message for p in err.problems), "error")
        return render_template("versions.html", rows=versions.list_versions(session, PROCESS_ID), process=PROCESS_ID,
                               processes=versions.processes(session, common.runtime()), new_id=new_id,
                               new_name=name), 422
    flash(f"已新建流程 {deployment.process_id}（版本 {deployment.id}），复制自默认流程", "success")
    return redirect(url_for("process.modeller", process=deployment.process_id))


@bp.post("/versions/<int:version_id>/current")
@common.requires("edit_processes")
def make_current(version_id):
    """Make an earlier version current again (new cases start on it), recorded on the system
    event chain."""
    version = _version_or_404(version_id)
    try:
        before = versions.make_current(get_session(), common.runtime(), version, actor=common.me().username,
                                       note=request.form.get("note", ""))
    except DeploymentError as err:
        flash("；".join(p.message for p in err.problems), "error")
        return redirect(url_for("process.index", process=_named(version.process_id)))
    if before is not None and before.id == version.id:
        flash(f"版本 {version.id} 已是当前版本", "info")
    else:
        flash(f"已将版本 {version.id} 设为当前版本（原为版本 {before.id if before else '—'}）；"
              f"新案件将按版本 {version.id} 办理，在办案件仍按各自的版本", "success")
    return redirect(url_for("process.index", process=_named(version.process_id)))


@bp.get("/versions/diff")
@common.requires("read_processes")
def diff():
    session = get_session()
    old = _version_or_404(request.args.get("from"))
    new = _version_or_404(request.args.get("to"))
    found = diffing.readable_diff(common.runtime(), old, new)
    return render_template("version_diff.html", diff=found, rows=versions.list_versions(session))


@bp.get("/versions/<int:version_id>/files/<name>")
@common.requires("read_processes")
def download(version_id, name):
    deployment = _version_or_404(version_id)
    if name not in deployment.files:
        abort(404)
    response = Response(deployment.files[name], mimetype="application/xml")
    # The stored name with its version, as an attachment (filename* carries a non-ASCII name).
    stem, dot, ext = name.rpartition(".")
    download_name = f"{stem}.v{deployment.id}.{ext}" if dot else name
    ascii_name = download_name.encode("ascii", "replace").decode().replace("?", "_")
    response.headers["Content-Disposition"] = dump_options_header(
        "attachment", {"filename": ascii_name, "filename*": f"UTF-8''{quote(download_name, safe='')}"})
    return response


# --- migration --------------------------------------------------------------------------------

def _migration_page(*, source, target, chosen=(), plan=None, moved=None, status=200):
    session = get_session()
    rows = versions.list_versions(session)
    running = versions.running_cases(session, source.id) if source else []
    return render_template("migrate.html", rows=rows, source=source, target=target, running=running,
                           chosen=set(chosen), plan=plan, moved=moved), status


@bp.get("/migrate")
@common.requires("edit_processes")
def migrate_form():
    session = get_session()
    rows = versions.list_versions(session)
    source = versions.get(session, request.args.get("from"))
    if source is None:   # the newest version that still has running cases, else the oldest
        source = next((r.deployment for r in rows[1:] if r.running), rows[-1].deployment if rows else None)
    target = versions.get(session, request.args.get("to"), source.process_id if source else None) or \
        (versions.current(session, source.process_id) if source else None)
    return _migration_page(source=source, target=target)


@bp.post("/migrate")
@common.requires("edit_processes")
def migrate():
    session = get_session()
    source = versions.get(session, request.form.get("from"))
    target = versions.get(session, request.form.get("to"))
    if source is None or target is None:
        abort(404)
    if request.form.get("scope") == "all":
        chosen = [case.case_no for case in versions.running_cases(session, source.id)]
    else:
        chosen = list(dict.fromkeys(no.strip() for no in request.form.getlist("case") if no.strip()))
    if not chosen:
        flash("请先勾选要迁移的案件，或选择“该版本全部在办案件”", "error")
        return _migration_page(source=source, target=target, status=422)
    actor = common.me().username
    if request.form.get("action") != "run":
        plan = migration.plan(session, common.runtime(), case_nos=chosen, target=target, actor=actor)
        return _migration_page(source=source, target=target, chosen=[p.case_no for p in plan if p.ok], plan=plan)
    target_id, source_id = target.id, source.id
    # Each case is moved in its own unit of work: first give up the request's transaction (on
    # SQLite it holds the write lock), and touch none of its objects until the moves are done.
    discard()
    moved = migration.migrate(get_db(), common.runtime(), case_nos=chosen, target_id=target_id, actor=actor)
    done = sum(1 for m in moved if m.ok)
    flash(f"迁移完成：成功 {done} 件，失败 {len(moved) - done} 件", "success" if done == len(moved) else "error")
    return _migration_page(source=versions.get(session, source_id), target=versions.get(session, target_id),
                           moved=moved)
