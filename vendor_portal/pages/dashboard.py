"""The dashboard: balance, recent orders, activations per day as a chart, serials near their
limit. The chart is an SVG drawn on the server, so it needs no JavaScript."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from aiohttp import web

from activation_server.appkeys import DB_POOL
from vendor_portal.activity import service as activity
from vendor_portal.activity.queries import DayCount
from vendor_portal.balances import service as balances
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


def _nice_maximum(value: int) -> int:
    """The axis' top: 1, 2 or 5 times a power of ten, at least the tallest bar."""
    if value <= 4:
        return 4
    scale = 1
    while True:
        for step in (1, 2, 5):
            if step * scale >= value:
                return step * scale
        scale *= 10


def chart(days: list[DayCount]) -> Chart:
    top = _nice_maximum(max((item.activations for item in days), default=0))
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
        Tick(y=round(CHART_TOP + plot_height - plot_height * step / 4, 2), value=top * step // 4)
        for step in range(5)
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
