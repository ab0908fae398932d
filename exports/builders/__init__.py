"""One builder per format: `build(data, out, on_progress)` writes the file to `out`.

Builders are pure over ExportData: no ORM, no clock, no storage.
"""

from collections.abc import Callable

Progress = Callable[[float], None]  # fraction 0..1 of the build done


def no_progress(fraction: float) -> None:
    """For callers that do not watch."""
