"""Cases for the map tests, reported and handled through the real services on Monday 2 March 2026
(office hours 08:00-12:00, 14:30-17:30): in 思明区 (two in 嘉莲街道's 盈翠社区, one voided and one
closed in 筼筜街道's 湖滨社区), 湖里区 (a hotline call, not yet accepted) and 同安区; some with the
coordinates of the reporter's phone, some without."""
from handlers.categories.catalogue import get_catalogue
from handlers.citymap import service
from handlers.citymap.forms import MapQuerySchema
from handlers.intake.violations import get_violations

SIMING, JIALIAN, YINGCUI, YUNDANG, HUBIN = "350203", "350203011", "350203011003", "350203008", "350203008001"
HULI, TANGBIAN, TONGAN, DATONG, DONGSHAN = "350206", "350206001002", "350212", "350212001", "350212001001"
CENTER = "350200"
PHONE = {"placed": (118.1301, 24.4875), "tongan": (118.158, 24.736), "closed": (118.1085, 24.4821)}


def scenario(city):
    """{name: case number}; the clock is left at Monday 10:30."""
    numbers = {}
    city.set_clock("2026-03-02 09:00")
    lng, lat = PHONE["placed"]
    numbers["placed"] = city.report(lng=lng, lat=lat)                                   # grid 1 of 盈翠
    city.set_clock("2026-03-02 09:05")
    city.complete(numbers["placed"], "accept_report", "intake", decision="file", urgency="A")
    city.set_clock("2026-03-02 09:10")
    numbers["grid_centre"] = city.report(username="grid-35020301100302", grid="35020301100302")  # no coordinates
    city.set_clock("2026-03-02 09:15")
    city.complete(numbers["grid_centre"], "accept_report", "intake", decision="file", urgency="B")
    city.set_clock("2026-03-02 09:20")
    numbers["hotline"] = city.report(username="intake", channel="hotline12345", category="200301", grid=None,
                                     community=TANGBIAN, external_ref="12345-1")
    city.set_clock("2026-03-02 09:30")
    lng, lat = PHONE["tongan"]
    numbers["tongan"] = city.report(username="intake", channel="wechat", category="200509", grid=None,
                                    community=DONGSHAN, external_ref="wx-1", lng=lng, lat=lat)
    city.set_clock("2026-03-02 09:35")
    city.complete(numbers["tongan"], "accept_report", "intake", decision="file", urgency="C")
    city.set_clock("2026-03-02 09:40")
    numbers["voided"] = city.report(username="intake", channel="hotline12345", grid=None, community=HUBIN,
                                    external_ref="12345-2")
    city.set_clock("2026-03-02 09:45")
    city.complete(numbers["voided"], "accept_report", "intake", decision="void", reason="重复上报")
    city.set_clock("2026-03-02 10:00")
    lng, lat = PHONE["closed"]
    numbers["closed"] = city.report(username="grid-35020300800101", grid="35020300800101", lng=lng, lat=lat)
    city.set_clock("2026-03-02 10:05")
    city.complete(numbers["closed"], "accept_report", "intake", decision="file", urgency="C")
    city.set_clock("2026-03-02 10:30")
    city.dispatch_down(numbers["closed"], SIMING, YUNDANG, HUBIN)
    city.complete(numbers["closed"], "handle", f"officer-{HUBIN}", action="done", result="已清理")
    city.review_up(numbers["closed"], YUNDANG, SIMING, CENTER)
    city.complete(numbers["closed"], "check_result", "grid-35020300800101", passed=True)
    city.complete(numbers["closed"], "close_case", "shiftlead")
    return numbers


def city_map(city, username, limit=service.MAX_POINTS, **query):
    """What the map shows `username` for the query (as the API's query string gives it), now."""
    filters = MapQuerySchema().load(query)

    def read(session):
        return service.get(session, city.directory, get_catalogue(city.app), get_violations(city.app),
                           viewer=city.user(session, username), filters=filters, now=city.runtime.clock.now(),
                           limit=limit)
    return city.work(read)


def by_name(numbers, found):
    """{scenario name: point} of the points of a map."""
    names = {no: name for name, no in numbers.items()}
    return {names[p.case_no]: p for p in found.points}
