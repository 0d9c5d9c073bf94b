"""The benchmark's report: a markdown table, the JSON document and a PNG chart.

A run whose correctness gates failed prints the failures and no figure.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

TARGETS = {
    "activation / HTTP ceiling": 0.35,
    "hot / cold": 0.95,
    "cold / peer on a hot serial": 3.0,
    "re-activation / HTTP ceiling": 0.60,
}
LABELS = {
    "http-ceiling": "HTTP ceiling (aiohttp, no DB)",
    "db-ceiling": "DB ceiling (activation SQL, asyncpg)",
    "cold": "cold activations (SP3)",
    "hot": "hot TRIAL100K serial",
    "reactivate": "re-activation storm",
    "validate": "validations by serial and machine",
    "validate-license": "validations by license (the SDK's)",
    "peer-cold": "textbook peer: cold activations (SP3)",
    "peer-hot": "textbook peer: hot TRIAL100K serial",
}


def ratios(medians: dict[str, dict[str, Any]]) -> dict[str, float]:
    rate = {name: sample["rate"] for name, sample in medians.items()}
    return {
        "activation / HTTP ceiling": rate["cold"] / rate["http-ceiling"],
        "activation / DB ceiling": rate["cold"] / rate["db-ceiling"],
        "hot / cold": rate["hot"] / rate["cold"],
        "re-activation / HTTP ceiling": rate["reactivate"] / rate["http-ceiling"],
        "cold / peer cold": rate["cold"] / rate["peer-cold"],
        "cold / peer on a hot serial": rate["cold"] / rate["peer-hot"],
        "hot / peer on a hot serial": rate["hot"] / rate["peer-hot"],
    }


def _row(label: str, sample: dict[str, Any]) -> str:
    return (
        f"| {label} | {sample['rate']:,.0f} | {sample['p50_ms']:.1f} | {sample['p99_ms']:.1f} "
        f"| {sample['server_us']:,.0f} | {sample['database_us']:,.0f} "
        f"| {sample['generator_us']:,.0f} | {sample['generator_share'] * 100:.0f} % |"
    )


def markdown(document: dict[str, Any]) -> str:
    machine = document["machine"]
    settings = document["settings"]
    medians = document["medians"]
    lines = [
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, "
        f"Python {machine['python']}; load average before {document['load_before']}, "
        f"after {document['load_after']}"
        + (
            f"; CPU time stolen by the hypervisor during the rounds {document['steal_share']:.1%}."
            if "steal_share" in document
            else "."
        ),
        f"{settings['workers']} server workers, {settings['pool_per_worker']} database "
        f"connections each, {settings['connections']} concurrent connections from wrk "
        f"({settings['wrk_threads']} thread), {settings['seconds']:g} s per scenario, "
        f"median of {settings['runs']} interleaved rounds"
        + (", each ending with a paced run." if "paced" in document.get("extras", {}) else "."),
        "",
        "| scenario | req/s | p50 ms | p99 ms | server µs/req | database µs/req "
        "| generator µs/req | generator CPU share |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [_row(LABELS[name], sample) for name, sample in medians.items()]
    extras = document.get("extras", {})
    if "paced" in extras:
        lines.append(_row("cold, maximum just before each paced run", extras["paced_max"]))
        offered = extras["paced"]["extra"]["offered_rate"]
        lines.append(_row(f"cold, paced at 80 % of it ({offered:,.0f} req/s)", extras["paced"]))
        if "paced50" in extras:
            offered = extras["paced50"]["extra"]["offered_rate"]
            lines.append(
                _row(f"cold, paced at 50 % of it ({offered:,.0f} req/s)", extras["paced50"])
            )
    lines += ["", "| ratio | measured | target |", "|---|---:|---:|"]
    measured = ratios(medians)
    for label, value in measured.items():
        target = TARGETS.get(label)
        verdict = "" if target is None else f"≥ {target:.2f} " + ("✔" if value >= target else "✘")
        lines.append(f"| {label} | {value:.2f} | {verdict} |")
    for name, share, limit in (("paced", 80, 50), ("paced50", 50, 25)):
        paced = document.get("extras", {}).get(name)
        if paced is None:
            continue
        ok = "✔" if paced["p99_ms"] <= limit else "✘"
        runs = paced["extra"].get("p99_runs", [])
        each = f" ({', '.join(f'{value:.1f}' for value in runs)})" if len(runs) > 1 else ""
        lines.append(
            f"| p99 at {share} % of max (ms) | {paced['p99_ms']:.1f}{each} | ≤ {limit} {ok} |"
        )
    lines += fill_lines(document.get("fill"))
    lines += growth_lines(document.get("growth"))
    vendor = document.get("vendor_flow") or {}
    lines.append("")
    if vendor.get("skipped"):
        lines.append(f"Vendor ordering flow: skipped ({vendor['skipped']}).")
    elif vendor.get("failed"):
        lines.append(f"Vendor ordering flow: FAILED ({vendor['failed']}).")
    elif vendor:
        lines.append(
            f"Vendor ordering flow: {vendor['orders']} orders fulfilled in "
            f"{vendor['seconds']:.1f} s ({vendor['rate']:.1f} orders/s, "
            f"{vendor['requests']} requests)."
        )
    checked = sum(gate["checked_licenses"] for gate in document["gates"])
    lines.append(
        f"Gates passed after every round: no serial over its limit, used = live activations, "
        f"no duplicate (serial, fingerprint), {checked} sampled licenses verified."
    )
    return "\n".join(lines) + "\n"


def fill_lines(fill: dict[str, Any] | None) -> list[str]:
    """The trial pool filled from a fresh database: its slices, the slowest against the fastest,
    and how it ended."""
    if not fill:
        return []
    ratio = fill["slowest_over_fastest"]
    lines = [
        "",
        f"Trial pool of {fill['limit']:,} filled from a fresh database (one worker, no "
        f"maintenance between {fill['slice_seconds']:g}-s slices): slowest slice "
        f"{fill['slowest']:,.0f}/s, fastest {fill['fastest']:,.0f}/s: {ratio:.2f} "
        f"(target ≥ 0.50 {'✔' if ratio >= 0.5 else '✘'}); ended at {fill['end_used']:,} "
        f"({fill['end_live']:,} live), then {fill['after_refused']:,} of "
        f"{fill['after_requests']:,} attempts refused "
        f"{'✔' if fill['complete'] else '✘'}.",
        "",
        "| slice | new activations/s | p50 ms | p99 ms | in the pool | server µs/req "
        "| database µs/req |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {s['index']} | {s['rate']:,.0f} | {s['p50_ms']:.1f} | {s['p99_ms']:.1f} "
        f"| {s['used']:,} | {s.get('server_us', 0):,.0f} | {s.get('database_us', 0):,.0f} |"
        for s in fill["slices"]
    ]
    return lines


def growth_lines(growth: dict[str, Any] | None) -> list[str]:
    """Cold and hot on a database holding a million serials and activations, against empty."""
    if not growth:
        return []
    rates, p99 = growth["rates"], growth["p99_ms"]
    lines = [
        "",
        f"On a database already holding {growth['serials']:,} serials and "
        f"{growth['activations']:,} activations, against an empty one (same run, medians):",
        "",
        "| scenario | empty req/s | full req/s | full / empty | empty p99 ms | full p99 ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for scenario, ratio in growth["ratios"].items():
        empty, full = f"{scenario} (empty)", f"{scenario} (full)"
        lines.append(
            f"| {scenario} | {rates[empty]:,.0f} | {rates[full]:,.0f} | {ratio:.2f} "
            f"(≥ 0.80 {'✔' if ratio >= 0.8 else '✘'}) | {p99[empty]:.1f} | {p99[full]:.1f} |"
        )
    return lines


def chart(document: dict[str, Any], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    medians = document["medians"]
    names = list(medians)
    rates = [medians[name]["rate"] for name in names]
    figure, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    bars = axes[0].barh([LABELS[n] for n in names], rates, color="#4C72B0")
    axes[0].bar_label(bars, labels=[f"{r:,.0f}" for r in rates], padding=3)
    axes[0].invert_yaxis()
    axes[0].set_xlabel("requests per second (median of rounds)")
    stack = ("server_us", "database_us", "generator_us")
    left = [0.0] * len(names)
    for key, color in zip(stack, ("#4C72B0", "#DD8452", "#55A868"), strict=True):
        values = [medians[name][key] for name in names]
        axes[1].barh(names, values, left=left, label=key.removesuffix("_us"), color=color)
        left = [a + b for a, b in zip(left, values, strict=True)]
    axes[1].invert_yaxis()
    axes[1].set_xlabel("CPU µs per request")
    axes[1].legend()
    figure.suptitle(f"activation server, {document['machine']['cores']} cores")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return True


def _save(document: dict[str, Any], out: Path, text: str | None) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    stamp = document["started_at"][:19].replace(":", "").replace("-", "")
    (out / f"bench-{stamp}.json").write_text(json.dumps(document, indent=2, default=str))
    (out / "latest.json").write_text(json.dumps(document, indent=2, default=str))
    if text is not None:
        (out / f"bench-{stamp}.md").write_text(text)
        (out / "latest.md").write_text(text)
    return out / f"bench-{stamp}"


def _print_failures(document: dict[str, Any]) -> None:
    print("CORRECTNESS GATES FAILED: no figures are reported.", file=sys.stderr)
    for gate in document["gates"]:
        for failure in gate["failures"]:
            print(f"  - {failure}", file=sys.stderr)
    for name, sample in document.get("medians", {}).items():
        if sample["errors"]:
            print(f"  - {name}: {sample['errors']} failed or refused requests", file=sys.stderr)


def finish(document: dict[str, Any], passed: bool, out: Path) -> int:
    document["passed"] = passed
    if not passed:
        _save(document, out, None)
        _print_failures(document)
        return 1
    text = markdown(document)
    stem = _save(document, out, text)
    if chart(document, stem.with_suffix(".png")):
        (out / "latest.png").write_bytes(stem.with_suffix(".png").read_bytes())
    else:
        print("(no PNG chart: install matplotlib, the 'bench' extra)", file=sys.stderr)
    print(text)
    print(f"saved to {stem}.{{md,json,png}}", file=sys.stderr)
    return 0


def finish_soak(document: dict[str, Any], passed: bool, out: Path) -> int:
    document["passed"] = passed and document["soak"]["errors"] == 0
    if not document["passed"]:
        _save(document, out, None)
        _print_failures(document)
        if document["soak"]["errors"]:
            print(f"  - {document['soak']['errors']} failed requests", file=sys.stderr)
        return 1
    soak = document["soak"]
    growth = soak["growth"] * 100
    text = (
        f"Soak: {soak['seconds']:.0f} s of mixed load (re-activation, cold, validation by machine "
        "and by license), "
        f"{soak['mean_rate']:,.0f} req/s on average; server RSS "
        f"{soak['rss_warm_bytes'] / 2**20:.1f} MiB after warm-up, "
        f"{soak['rss_end_bytes'] / 2**20:.1f} MiB at the end: growth {growth:+.1f} % "
        f"(target < 10 % {'✔' if growth < 10 else '✘'}). Load average {document['load_after']}.\n"
    )
    _save(document, out, text)
    print(text)
    return 0
