"""Deadlines on the working-day calendar through the API."""
from tests.api.httpapi import assert_error


def test_deadline(api):
    officer = api.as_user("officer-350203")

    def due(**params):
        response = officer.get("/api/v1/calendar/deadline", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        return body["due_at"], body["provisional"]
    assert due(start="2026-03-02T16:05", working_days=1) == ("2026-03-03T16:05:00+08:00", False)
    assert due(start="2026-03-02T08:05:00Z", working_days=1) == ("2026-03-03T16:05:00+08:00", False)
    # Filed on a holiday (国庆 10-01..07): due when the next working day closes.
    assert due(start="2026-10-01T10:00+08:00", working_days=1) == ("2026-10-08T17:30:00+08:00", False)
    assert due(start="2026-03-02T08:00", working_hours=4) == ("2026-03-02T12:00:00+08:00", False)
    assert due(start="2026-12-31T16:00", working_days=2)[1] is True           # 2027 has no official data yet
    for params, field in (({"start": "2026-03-02"}, "working_days"),
                          ({"start": "2026-03-02", "working_days": 1, "working_hours": 2}, "working_days"),
                          ({"start": "soon", "working_days": 1}, "start"),
                          ({"start": "9999-12-31T00:00", "working_days": 1}, "start"),
                          ({"start": "2026-03-02", "working_days": -1}, "working_days"),
                          ({"start": "2026-03-02", "working_days": "nan"}, "working_days"),
                          ({"working_days": 1}, "start")):
        assert field in assert_error(officer.get("/api/v1/calendar/deadline", params=params), 422)["errors"], params
    assert_error(api.anonymous().get("/api/v1/calendar/deadline", params={"start": "2026-03-02", "working_days": 1}),
                 401)
