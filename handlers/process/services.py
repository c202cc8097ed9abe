"""The service tasks a diagram may call, by the name its `serviceTaskOperator` gives: the one
registry the engine receives (an unknown name is refused when a version is deployed)."""
from ..cases import deadlines, penalties, services


def registry(calendar):
    """{operator name: handler(call, **params)}, bound to the app's calendar."""
    return {
        "record_penalty": penalties.record_penalty,
        "holding_unit": services.holding_unit,
        "merge_case": services.merge_case,
        "notify": services.notify,
        "extend_deadline": deadlines.make_extend_deadline(calendar),
        "suspend_clock": deadlines.make_suspend_clock(calendar),
        "resume_clock": deadlines.make_resume_clock(calendar),
    }
