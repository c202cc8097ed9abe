"""The API's views, one module per concept; importing them registers their routes on `bp`."""
from . import (auth, calendar, callbacks, cases, categories, citymap, dashboard, deployments, evaluation,  # noqa: F401
               followups, intake, notifications, tasks)
