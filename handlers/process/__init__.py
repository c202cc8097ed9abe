"""The case process as its owners manage it: the contract a case diagram must keep with the code,
the functions and services diagrams may call, deploying versions (every file parsed and linted,
every problem named on its element), the versions and their readable diffs, moving running cases
between versions, reading the decision tables a version holds, and routing a new case to one of
the case processes (the routing table of the default process).

It never runs a case (that is the engine's, started by `cases`) and never edits a deployed
version: deployments are immutable, a change is a new version."""
