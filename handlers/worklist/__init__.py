"""The worklist (待办): the open steps of every case with the role and unit that may complete
each, derived from the process after every step; who may complete which; completing a step
through its form (`forms`) and the permission check.

It never decides what a case is or who may see it (`cases`), only who may act on its open steps."""
