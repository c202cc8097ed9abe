"""The API's views, one module per concept; importing them registers their routes on `bp`."""
from . import auth, calendar, cases, dashboard, deployments, evaluation, intake, tasks  # noqa: F401
