"""The case categories (案件类别): the catalogue of 部件 and 事件 classes, six-digit codes (kind, 0,
major class, minor class) with their names, as editable data (`categories.toml`) read once per app.

It names and finds categories; which unit handles a category is the process's decision table."""
