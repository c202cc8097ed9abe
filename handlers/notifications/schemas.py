"""The JSON of a notification and of a page of them (the API's, and the OpenAPI document's), and
the query of the list."""
from marshmallow import Schema, fields

from .. import forms
from ..cases.schemas import Instant
from .notices import KINDS


class NotificationQuerySchema(forms.FormSchema):
    """Which of the caller's notifications: all or the unread ones, one page."""

    unread = fields.Boolean(load_default=False, metadata={"description": "true: only the unread ones"})
    page = fields.Integer(load_default=1, validate=forms.between(1, 100000))
    per_page = fields.Integer(load_default=20, validate=forms.between(1, 100))


class NotificationSchema(Schema):
    """One notification of the caller."""

    id = fields.Integer(attribute="notification.id")
    kind = fields.String(attribute="notification.kind", metadata={"enum": list(KINDS)})
    kind_label = fields.Function(lambda item: KINDS[item.notification.kind],
                                 metadata={"description": "新待办, 督办, 退回, 核查不通过, 黄灯, 超期"})
    case_no = fields.String(attribute="notification.case_no")
    task_id = fields.String(attribute="notification.task_id", allow_none=True,
                            metadata={"description": "the task it announces, if any"})
    text = fields.String(attribute="notification.text")
    link = fields.String(metadata={"description": "the web page it leads to: the task while it is open, else "
                                                  "the case"})
    created_at = Instant(attribute="notification.created_at")
    read_at = Instant(attribute="notification.read_at", allow_none=True)


class NotificationPageSchema(Schema):
    items = fields.List(fields.Nested(NotificationSchema))
    total = fields.Integer()
    unread = fields.Integer(metadata={"description": "the caller's unread notifications, all pages"})
    page = fields.Integer()
    per_page = fields.Integer()
    pages = fields.Integer()


class MarkedSchema(Schema):
    marked = fields.Integer(metadata={"description": "how many were unread and are read now"})
    unread = fields.Integer()


NOTIFICATION, PAGE = NotificationSchema(), NotificationPageSchema()


def page_json(page):
    return PAGE.dump({"items": page.items, "total": page.total, "unread": page.unread, "page": page.page,
                      "per_page": page.per_page, "pages": page.pages})


def notification_json(item):
    return NOTIFICATION.dump(item)
