"""The API's views, one module per concept; importing them registers their routes on `bp`."""
from . import auth, calendar, cases, citymap, deployments, evaluation, intake, notifications, tasks  # noqa: F401
