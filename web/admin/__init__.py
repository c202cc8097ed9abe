"""管理: the admins' pages under /admin (role `admin` only; 403 for everyone else): 组织机构
(`units`), 用户 (`users`), 接入系统 (`access`: API clients and cameras), 工作日历 (`calendar`) and
案件类别 (`categories`), with the latest recorded changes on the index. Views are thin: they parse
the form with a schema of the concept, call one service of handlers/ (which validates, records the
change on the system chain and, for the org tree and the calendar, bumps the stamp every process
follows), and redirect; a refused form is rendered again with the field messages beside the fields
and the refusal's status (422, 409 for a unit that still holds open cases), with nothing written."""
from . import access, calendar, categories, units, users  # noqa: F401  (each adds its views to bp)
from .base import bp

__all__ = ["bp"]
