"""The evaluation in the forms the city uses: a readable table (the command line), CSV (UTF-8 with
a BOM, so that Excel reads the Chinese), XLSX (openpyxl) and JSON. Each export starts with a title
row naming the period, the level and the rules' version, and a row of definitions; then the
column names in Chinese and one row per unit or person, the rank first. The numbers are the API's:
rates are fractions (a percentage in CSV text and in the XLSX cell format), points and scores as is."""
import csv
import io
import json
import unicodedata
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Font

LEVEL_NAMES = {"district": "区级", "street": "街道（镇）级", "community": "社区级", "department": "市直部门",
               "job": "指挥中心岗位", "grid": "网格员"}
HANDLING = [("due", "应处置数"), ("handled", "已处置数"), ("on_time", "按期处置数"), ("late", "超期处置数"),
            ("overdue_open", "超期未处置数"), ("rework", "返工数"), ("returned", "退回数"),
            ("extension_requests", "延期申请数"), ("extensions_approved", "延期批准数"),
            ("suspension_requests", "挂起申请数"), ("suspensions_approved", "挂起批准数"),
            ("suspended_hours", "挂起时长（工作小时）"), ("supervised", "督办数"),
            ("replies", "督办回复数"), ("replies_on_time", "按时回复数"), ("replies_due", "应回复数"),
            ("reply_rate", "督办回复及时率"), ("follow_ups", "回访数"), ("satisfied", "满意数"),
            ("basically_satisfied", "基本满意数"), ("dissatisfied", "不满意数"), ("satisfaction_rate", "满意率"),
            ("on_time_rate", "按期处置率"),
            ("handled_rate", "处置率"), ("rework_rate", "返工率"), ("points", "扣分"), ("score", "得分"),
            ("composite", "综合指标值"), ("grade", "等级")]
AREA = [("reported", "上报数"), ("filed", "立案数"), ("closed", "结案数"), ("on_time_closed", "按期结案数"),
        ("overdue_open", "超期未结案数"), ("due_close", "应结案数"), ("close_rate", "结案率"),
        ("on_time_close_rate", "按期结案率"), ("on_spot", "当场处置数"), ("voided", "作废数"), ("merged", "并案数"),
        ("composite", "区域综合指标值"), ("grade", "区域等级")]
JOB = [("accepted", "受理数"), ("filed", "立案数"), ("voided", "作废数"), ("merged", "并案数"),
       ("verify_sent", "派核实数"), ("average_accept_hours", "平均受理时长（工作小时）"), ("dispatched", "派遣数"),
       ("dispatch_returned", "被退回数"), ("accurate_dispatch_rate", "准确派遣率"), ("extensions_decided", "延期审批数"),
       ("extensions_approved", "批准延期数"), ("extensions_refused", "不批准延期数"), ("supervised", "督办数"),
       ("closed", "结案数")]
GRID = [("reported", "上报数"), ("valid", "有效上报数"), ("valid_rate", "有效上报率"), ("on_spot", "当场处置数"),
        ("checks", "核查数"), ("checks_on_time", "按时核查数"), ("on_time_check_rate", "按时核查率"),
        ("verifications", "核实数"), ("verifications_on_time", "按时核实数"), ("on_time_verify_rate", "按时核实率")]
RATES = {"reply_rate", "satisfaction_rate", "on_time_rate", "handled_rate", "rework_rate", "close_rate", "on_time_close_rate", "accurate_dispatch_rate",
         "valid_rate", "on_time_check_rate", "on_time_verify_rate"}


def definitions(rules):
    h, a = rules.weights["handling"], rules.weights["area"]
    return (f"按期处置率=按期处置数÷应处置数；处置率=已处置数÷应处置数（应处置数=已处置数+超期未处置数）；"
            f"返工率=返工数÷核查数（核查数=已处置数+返工数）；得分={h.base:g}−扣分；"
            f"综合指标值=100×({h.on_time:g}×按期处置率+{h.completion:g}×处置率+{h.rework_free:g}×(1−返工率))；"
            f"区域综合指标值=100×({a.on_time:g}×按期结案率+{a.completion:g}×结案率)；"
            f"督办回复及时率=按时回复数÷应回复数（本期收到的督办中已回复或已过回复时限的），按时为{h.reply_hours:g}个工作小时内；"
            f"满意率=(满意数+基本满意数)÷回访数（本期登记的热线案件回访，计入处置单位）；同分同名次")


def columns(level):
    """[(section, key, Chinese name)] of a level's table, after the rank and the name."""
    if level == "job":
        return [("figures", k, n) for k, n in JOB]
    if level == "grid":
        return [("figures", k, n) for k, n in GRID]
    found = [("handling", k, n) for k, n in HANDLING]
    if level != "department":
        found += [("area", k, n) for k, n in AREA] + [("area", "rank_text", "区域排名")]
    return found


def _leading(level):
    if level in ("job", "grid"):
        return [("user", "用户"), ("name", "姓名"), ("unit_name", "单位")]
    if level in ("district", "department"):
        return [("rank_text", "排名"), ("name", "单位"), ("unit", "代码")]
    return [("rank_text", "排名"), ("name", "单位"), ("unit", "代码"), ("parent_name", "上级单位")]


def header(level):
    return [n for _, n in _leading(level)] + [n for _, _, n in columns(level)]


def _value(row, section, key):
    if section == "area" and key == "rank_text":
        return None if row.get("area_rank") is None and not row.get("area_of") else \
            (f"{row['area_rank']} / {row['area_of']}" if row.get("area_rank") is not None else f"— / {row['area_of']}")
    block = row.get(section) or {}
    return block.get(key)


def values(row, level):
    """A row's cells (None for nothing), as the API gives them."""
    return [row.get(k) for k, _ in _leading(level)] + [_value(row, s, k) for s, k, _ in columns(level)]


def title(report):
    period = report["period"]
    return (f"考评：{period['title']}（{period['from']} 至 {period['to']}）· {LEVEL_NAMES[report['level']]}"
            f"{' · ' + report['unit_name'] if report.get('unit_name') else ''} · 规则：流程版本 {report['rules_version']}"
            f" · 计算于 {report['computed_at']}")


def cell_text(value, key):
    """A cell as text: rates as percentages, empty for nothing (the CSV's, the table's, the web page's)."""
    if value is None:
        return ""
    if key in RATES:
        return f"{value * 100:.2f}%"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def to_csv(report) -> bytes:
    """CSV, UTF-8 with a BOM; rates as percentages."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title(report)])
    writer.writerow([report["definitions"]])
    writer.writerow(header(report["level"]))
    keys = [k for k, _ in _leading(report["level"])] + [k for _, k, _ in columns(report["level"])]
    for row in report["rows"]:
        writer.writerow([cell_text(v, k) for v, k in zip(values(row, report["level"]), keys)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(report) -> bytes:
    """XLSX: the title and definitions rows, the header in bold, numbers as numbers (rates formatted %)."""
    book = Workbook()
    sheet = book.active
    sheet.title = LEVEL_NAMES[report["level"]]
    sheet.append([title(report)])
    sheet.append([report["definitions"]])
    sheet.append(header(report["level"]))
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    keys = [k for k, _ in _leading(report["level"])] + [k for _, k, _ in columns(report["level"])]
    for row in report["rows"]:
        sheet.append(values(row, report["level"]))
        for cell, key in zip(sheet[sheet.max_row], keys):
            if key in RATES and cell.value is not None:
                cell.number_format = "0.00%"
    sheet.freeze_panes = "C4"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_json(report) -> bytes:
    return json.dumps(report, ensure_ascii=False, indent=2).encode("utf-8")


def _width(text):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _aligned(head, lines):
    widths = [max(_width(line[i]) for line in [head, *lines]) for i in range(len(head))]
    return ["  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(line, widths)).rstrip()
            for line in [head, *lines]]


@dataclass
class Sheet:
    """One table of a report as people read it: a heading (处置考评, 区域评价, or none), the column
    names and keys, and per row the row itself and its cells (as the API gives them)."""

    heading: str
    names: list
    keys: list
    rows: list     # [(row, [cell values])]


def sheets(report) -> list[Sheet]:
    """The report's tables: for districts, streets and communities the handling sheet, then the area
    sheet; one table for the other levels. The leading columns (rank, name, ...) in each."""
    level = report["level"]
    lead = _leading(level)
    blocks = [("", columns(level))]
    if level in ("district", "street", "community"):
        cols = columns(level)
        blocks = [("处置考评", [c for c in cols if c[0] == "handling"]), ("区域评价", [c for c in cols if c[0] == "area"])]
    return [Sheet(heading, [n for _, n in lead] + [n for _, _, n in cols], [k for k, _ in lead] + [k for _, k, _ in cols],
                  [(row, [row.get(k) for k, _ in lead] + [_value(row, s, k) for s, k, _ in cols])
                   for row in report["rows"]])
            for heading, cols in blocks]


def to_table(report) -> str:
    """A readable table for the terminal: the title, then aligned columns (Chinese counts double);
    for districts, streets and communities the handling sheet, then the area sheet."""
    text = [title(report)]
    for sheet in sheets(report):
        lines = [[cell_text(v, k) for v, k in zip(cells, sheet.keys)] for _, cells in sheet.rows]
        if sheet.heading:
            text.append(f"【{sheet.heading}】")
        text.extend(_aligned(sheet.names, lines))
    return "\n".join(text)


FORMATS = {"csv": to_csv, "xlsx": to_xlsx, "json": to_json}
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8",
                 "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "json": "application/json"}


def download(report, fmt):
    """(file name, content type, bytes) of a report as a file to download (the API's and the web UI's)."""
    name = f"考评-{report['period']['label']}-{report['level']}.{fmt}"
    return name, CONTENT_TYPES[fmt], FORMATS[fmt](report)
