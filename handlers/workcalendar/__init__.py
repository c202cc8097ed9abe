"""The mainland-China working-day calendar: statutory holidays and make-up days from the data
files under `calendar/` (one per year, from the State Council's notices), office hours, working
time arithmetic (`worktime`) and its command line (`cli`).

It knows dates and office hours, not cases: deadlines of cases are `cases.deadlines`'. The data
stays in `calendar/` at the repository root, which must never become a Python package (it would
shadow the standard library's `calendar`)."""
