"""The case categories (案件类别): the catalogue of 部件 and 事件 classes, six-digit codes (kind, 0,
major class, minor class) with their names and each minor class's standard from the command manual
(立案条件, 结案条件, usual urgency), as editable data (`categories.toml`) read once per app.

It names and finds categories and says their standards; a category's time limits and the unit
that handles it are the process's decision tables."""
