"""The dashboard: balance, recent orders, activations per day as a chart, serials near their
limit. The chart is an SVG drawn on the server, so it needs no JavaScript."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from aiohttp import web

from activation_server.appkeys import DB_POOL
from vendor_portal.balances import service as balances
from vendor_portal.dashboard import service as activity
from vendor_portal.dashboard.queries import DayCount
from vendor_portal.orders import service as orders
from vendor_portal.pages.context import actor, login_required, page, render
from vendor_portal.pages.i18n import day, ngettext

CHART_WIDTH = 720
CHART_HEIGHT = 220
CHART_LEFT = 36
# Room for the last date label, which is centred under the last bar.
CHART_RIGHT = 24
CHART_BOTTOM = 24
CHART_TOP = 10


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: date
    count: int
    title: str
    # Every few bars carry a date under the axis, so the labels do not overlap.
    label: str | None


@dataclass(frozen=True)
class Tick:
    y: float
    value: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: int
    bottom: float
    bars: list[Bar]
    ticks: list[Tick]
    total: int


def _axis(value: int) -> tuple[int, int]:
    """The axis' step and top: a step of 1, 2 or 5 times a power of ten that divides the axis
    into at most five parts, and the top a whole number of steps at or above the tallest bar, so
    every tick is a round value and none is skipped."""
    scale = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * scale
            if step * 5 >= value:
                return step, max(step * -(-value // step), 4 * step if step == 1 else step)
        scale *= 10


def chart(days: list[DayCount]) -> Chart:
    step, top = _axis(max((item.activations for item in days), default=0))
    plot_height = CHART_HEIGHT - CHART_BOTTOM - CHART_TOP
    slot = (CHART_WIDTH - CHART_LEFT - CHART_RIGHT) / max(len(days), 1)
    bars = []
    for index, item in enumerate(days):
        height = plot_height * item.activations / top
        label_every = 5
        from_end = len(days) - 1 - index
        bars.append(
            Bar(
                x=round(CHART_LEFT + index * slot + slot * 0.15, 2),
                y=round(CHART_TOP + plot_height - height, 2),
                width=round(slot * 0.7, 2),
                height=round(height, 2),
                day=item.day,
                count=item.activations,
                title=day(item.day)
                + ": "
                + ngettext("%(num)s activation", "%(num)s activations", item.activations),
                label=day(item.day, "d MMM") if from_end % label_every == 0 else None,
            )
        )
    ticks = [
        Tick(y=round(CHART_TOP + plot_height - plot_height * value / top, 2), value=value)
        for value in range(0, top + 1, step)
    ]
    return Chart(
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        left=CHART_LEFT,
        right=CHART_WIDTH - CHART_RIGHT,
        bottom=CHART_TOP + plot_height,
        bars=bars,
        ticks=ticks,
        total=sum(item.activations for item in days),
    )


@login_required
async def dashboard(request: web.Request) -> web.StreamResponse:
    pool = request.config_dict[DB_POOL]
    who = actor(request)
    current = page(request)
    seen = await activity.activity(pool, who)
    balance = None
    if current.vendor is not None:
        balance = await balances.get_balance(pool, who, current.vendor.id, limit=5)
    recent = await orders.list_orders(pool, who, limit=5)
    return render(
        request,
        "dashboard.html",
        {
            "activity": seen,
            "chart": chart(seen.per_day),
            "balance": balance,
            "recent": recent,
            "near_limit_percent": activity.NEAR_LIMIT_PERCENT,
        },
    )
