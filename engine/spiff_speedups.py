"""Four of SpiffWorkflow 3.2's inner loops, replaced by equivalent cheaper ones: the tree walk, the
list of the tasks in a state, a task's inheritance of its parent's data, a state change's logging.

Every step walks the task tree many times. `do_engine_steps` asks each (sub)workflow for its
READY tasks until none is left, and each task that completes makes its workflow look at every
WAITING task (`update_waiting_tasks`). SpiffWorkflow's TaskIterator is general: breadth-first or
depth-first, depth limits, five kinds of filter. It keeps its depth by walking up to the next
task's parent after every leaf, and a quarter of firing a timer went to it. `walk` is the same
depth-first pre-order, subprocesses before children as the BPMN iterator descends them, for the
queries the engine's hot paths make: state, manual, spec name, end_at_spec, skip_subprocesses.
Any other query goes to SpiffWorkflow's own iterator. A whole tree's list of tasks in a definite
state (`get_tasks(state=READY)`, which `do_engine_steps` asks for again and again, and which finds
few) is `scanned` instead: the id maps looked through, and only the matches placed in the tree.

A task that becomes ready inherits its parent's data through DeepMerge, a recursive merge that
compares every key with what the task holds; a task that holds nothing yet (nearly every time)
takes a shallow copy of each mutable value instead, which is what the merge gives it.

And every state change built a dict of logging details (the task's ids, names, the state's name),
which SpiffWorkflow's logger throws away unless it logs INFO. `_set_state` builds it only when the
logger would use it.

`install()` puts them in place; engine.spiff calls it when it is imported. `uninstall()` restores
the stock methods: bench/lifecycle.py's baseline is stock SpiffWorkflow. The states, tree orders
and logs they give are held to the stock ones on the real case process by
tests/engine/test_spiff_speedups.py. The depth limit is counted as the true depth. Stock
SpiffWorkflow counts it the same way, short of the subprocesses' edges, and no case's tree comes
near the limit (1,000).
"""
import copy
import logging
import time

from SpiffWorkflow.bpmn.util.subworkflow import BpmnBaseWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from SpiffWorkflow.workflow import Workflow

_STOCK = {
    (Workflow, "get_tasks_iterator"): Workflow.get_tasks_iterator,
    (Workflow, "update_waiting_tasks"): Workflow.update_waiting_tasks,
    (BpmnBaseWorkflow, "get_tasks_iterator"): BpmnBaseWorkflow.get_tasks_iterator,
    (Task, "_set_state"): Task._set_state,
    (Task, "_inherit_data"): Task._inherit_data,
}
_TASK_LOG = logging.getLogger("spiff.task")     # SpiffWorkflow.task's own logger
_WALKED = frozenset(("state", "manual", "spec_name", "end_at_spec"))     # what walk answers for TaskIterator
_BPMN_WALKED = _WALKED | {"skip_subprocesses"}                            # and for BpmnTaskIterator
_SCANNED = frozenset(("state", "manual"))                                  # what `scanned` answers
MAX_DEPTH = 1000      # SpiffWorkflow's default


def walk(first, subprocesses=None, *, state=TaskState.ANY_MASK, manual=None, spec_name=None, end_at_spec=None,
         skip_subprocesses=False):
    """The tasks under `first` (itself included) that match, in TaskIterator's depth-first order.
    `subprocesses`: the top workflow's map of subprocesses, to descend into them as
    BpmnTaskIterator does (None: the tree of one workflow, as TaskIterator walks it).

    A task's children are descended into only when its state is at least the least state the
    filter could find below it, as the stock iterator does: predicted tasks follow definite ones
    and definite tasks follow finished ones."""
    if state & TaskState.PREDICTED_MASK:
        least = TaskState.MAYBE
    elif state & TaskState.DEFINITE_MASK:
        least = TaskState.FUTURE
    else:
        least = TaskState.COMPLETED
    stack = [(first, 0)]
    pop, push = stack.pop, stack.append
    while stack:
        task, depth = pop()
        sub = subprocesses.get(task.id) if subprocesses else None
        children = task._children
        if (children or sub is not None) and (task._state >= least or sub is not None) and depth < MAX_DEPTH \
                and task.task_spec.name != end_at_spec:
            tasks = task.workflow.tasks
            for child in reversed(children):
                push((tasks.get(child), depth + 1))
            # (stock BpmnTaskIterator's guard, kept as it is: no single state is >= FINISHED_MASK)
            if sub is not None and not skip_subprocesses \
                    and not (task._state >= TaskState.FINISHED_MASK and state <= TaskState.FINISHED_MASK):
                push((sub.task_tree, depth + 1))     # popped first: the subprocess before the children
        if task._state & state and (manual is None or task.task_spec.manual == manual) \
                and (spec_name is None or task.task_spec.name == spec_name):
            yield task


def scanned(workflow, subprocesses=None, *, state, manual=None):
    """What `walk(workflow.task_tree, subprocesses, state=state, manual=manual)` yields, for a
    state with a definite bit and no predicted one (what `do_engine_steps` asks for): found by a scan
    of the id maps, then ordered by their places in the tree. The walk visits every task for a
    few matches; the scan looks at each task only once, in a tight loop.

    A task is yielded only where the walk would reach it: below tasks that it descends into
    (their states definite or finished, or they hold a subprocess) and no deeper than its limit."""
    scope, parents = [workflow], {}
    if subprocesses:
        for wf in scope:                      # grows as nested subprocesses are found
            for sub in subprocesses.values():
                task = wf.tasks.get(sub.parent_task_id)
                if task is not None and sub.task_tree.id not in parents:
                    parents[sub.task_tree.id] = task
                    scope.append(sub)
    found = []
    for wf in scope:
        for task in wf.tasks.values():
            if task._state & state and (manual is None or task.task_spec.manual == manual):
                place = _place(task, workflow.task_tree, parents, subprocesses or {})
                if place is not None:
                    found.append((place, task))
    if len(found) > 1:
        found.sort(key=lambda pair: pair[0])
    return [task for _, task in found]


def _place(task, root, parents, subprocesses):
    """The sibling positions from `root` down to `task`, the walk's order; None where the walk
    from `root` never reaches it. A subprocess comes before the children of its task (-1)."""
    place = []
    while task is not root:
        parent = task.workflow.tasks.get(task._parent) if task._parent is not None else None
        if parent is None:                    # the root of a subprocess: on to the task holding it
            parent = parents.get(task.id)
            if parent is None:
                return None
            place.append(-1)
        else:
            if parent._state < TaskState.FUTURE and parent.id not in subprocesses:
                return None                   # below a predicted task: the walk does not descend
            place.append(parent._children.index(task.id))
        task = parent
    if len(place) > MAX_DEPTH:
        return None
    place.reverse()
    return place


def _scans(first_task, workflow, kwargs):
    """Whether `scanned` answers this query as the walk would."""
    state = kwargs.get("state", TaskState.ANY_MASK)
    return ((first_task is None or first_task is workflow.task_tree) and kwargs.keys() <= _SCANNED
            and state & TaskState.DEFINITE_MASK and not state & TaskState.PREDICTED_MASK)


def _tasks_iterator(workflow, first_task=None, **kwargs):
    if _scans(first_task, workflow, kwargs):
        return iter(scanned(workflow, **kwargs))
    if kwargs.keys() <= _WALKED:
        return walk(first_task or workflow.task_tree, **kwargs)
    return _STOCK[Workflow, "get_tasks_iterator"](workflow, first_task, **kwargs)


def _bpmn_tasks_iterator(workflow, first_task=None, **kwargs):
    if _scans(first_task, workflow, kwargs):
        return iter(scanned(workflow, workflow.top_workflow.subprocesses, **kwargs))
    if kwargs.keys() <= _BPMN_WALKED:
        return walk(first_task or workflow.task_tree, workflow.top_workflow.subprocesses, **kwargs)
    return _STOCK[BpmnBaseWorkflow, "get_tasks_iterator"](workflow, first_task, **kwargs)


def _update_waiting_tasks(workflow):
    # as stock: the workflow's own tree (TaskIterator, no subprocesses), each WAITING task updated as it is met
    for task in walk(workflow.task_tree, state=TaskState.WAITING):
        task.task_spec._update(task)


def _set_state(task, value):
    if value != task._state:
        if _TASK_LOG.isEnabledFor(logging.INFO):
            return _STOCK[Task, "_set_state"](task, value)
        task.last_state_change = time.time()
        task._state = value
    elif _TASK_LOG.isEnabledFor(logging.DEBUG):
        _STOCK[Task, "_set_state"](task, value)


def _inherit_data(task):
    data = task.data
    if data:
        return _STOCK[Task, "_inherit_data"](task)
    # DeepMerge.merge({}, parent's data), into the same dict: a shallow copy of each mutable value
    data.update({key: copy.copy(value) if isinstance(value, (dict, list, set)) else value
                 for key, value in task.parent.data.items()})


_FAST = {
    (Workflow, "get_tasks_iterator"): _tasks_iterator,
    (Workflow, "update_waiting_tasks"): _update_waiting_tasks,
    (BpmnBaseWorkflow, "get_tasks_iterator"): _bpmn_tasks_iterator,
    (Task, "_set_state"): _set_state,
    (Task, "_inherit_data"): _inherit_data,
}


def install():
    for (cls, name), method in _FAST.items():
        setattr(cls, name, method)


def uninstall():
    for (cls, name), method in _STOCK.items():
        setattr(cls, name, method)


def installed() -> bool:
    return all(getattr(cls, name) is method for (cls, name), method in _FAST.items())
