"""The statuses of a case, listed once: the open ones (the `status` property of the case process's
open step, see `process.contract`) and the ends (the end event the process finished on)."""

OPEN_STATUSES = ("accepting", "verifying", "dispatching", "handling", "extension", "reviewing", "checking",
                 "closing", "suspension", "suspended")
# 派遣处置: the statuses within the process's handling subprocess (its timers and 督办 wait there);
# `suspension`: a suspension asked, awaiting the shift lead; `suspended` (挂起): the clock stopped
IN_HANDLING = ("dispatching", "handling", "extension", "reviewing", "checking", "suspension", "suspended")
# end event id -> case status
END_STATUS = {"closed": "closed", "voided": "voided", "merged": "merged", "closed_on_spot": "closed_on_spot"}
ENDED = tuple(END_STATUS.values())
STATUSES = OPEN_STATUSES + ENDED


def is_ended(status) -> bool:
    return status in ENDED
