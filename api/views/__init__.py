"""The API's views, one module per concept; importing them registers their routes on `bp`."""
from . import (auth, calendar, cases, citymap, dashboard, deployments, evaluation, intake,  # noqa: F401
               notifications, tasks)
