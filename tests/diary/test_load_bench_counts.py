"""bench/load.py's worker CPU per evaluation counts every task that judges."""

import inspect

from bench.load import EVALUATION_TASKS
from diary import tasks


def test_every_judging_task_counts_as_an_evaluation():
    judging = {
        f"diary.tasks.{name}"
        for name, task in inspect.getmembers(tasks)
        if name.startswith("evaluate_") and hasattr(task, "delay")
    }
    assert judging  # the tasks are found by their names
    assert judging == set(EVALUATION_TASKS)
