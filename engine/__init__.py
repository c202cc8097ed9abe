"""Generic BPMN runtime on SpiffWorkflow: deployments, instances, clock, timers, events, replay.

Knows nothing of city management; `app.py` hands it the parser configuration, the script
functions and the service handlers that `handlers/` registers.
"""
