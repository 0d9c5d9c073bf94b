"""The dashboard chart's y-axis: round, evenly spaced values with none skipped."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

from vendor_portal.dashboard.pages import chart
from vendor_portal.dashboard.queries import DayCount


def test_every_tick_is_one_step_above_the_last_and_the_top_covers_the_tallest_bar():
    start = date(2026, 1, 1)
    for tallest in [*range(0, 60), 99, 100, 101, 250, 999, 1234, 50_000]:
        days = [DayCount(day=start + timedelta(days=n), activations=0) for n in range(29)]
        days.append(DayCount(day=start + timedelta(days=29), activations=tallest))
        values = [tick.value for tick in chart(days).ticks]
        steps = {b - a for a, b in pairwise(values)}
        assert values[0] == 0 and len(steps) == 1, (tallest, values)
        step = steps.pop()
        assert int(str(step)[0]) in (1, 2, 5) and set(str(step)[1:]) <= {"0"}, (tallest, values)
        assert values[-1] >= tallest and values[-1] - step < max(tallest, 4), (tallest, values)
        assert 3 <= len(values) <= 7, (tallest, values)
