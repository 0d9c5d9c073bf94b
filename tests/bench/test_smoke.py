"""The benchmark harness end to end, in its quick mode: it must run and its gates must pass."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]


def test_make_bench_quick_runs_every_scenario_and_passes_its_gates(tmp_path: Path) -> None:
    require(shutil.which("wrk") is not None, "wrk is not installed (apt-get install wrk)")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--quick",
            "--seconds",
            "1",
            "--machines",
            "300",
            "--connections",
            "16",
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    document = json.loads((tmp_path / "latest.json").read_text())
    assert document["passed"]
    assert all(gate["passed"] for gate in document["gates"])
    assert sum(gate["checked_licenses"] for gate in document["gates"]) > 0
    medians = document["medians"]
    assert set(medians) == {
        "http-ceiling",
        "db-ceiling",
        "cold",
        "hot",
        "reactivate",
        "validate",
        "validate-license",
        "peer-cold",
        "peer-hot",
    }
    assert all(sample["rate"] > 0 and sample["errors"] == 0 for sample in medians.values())
    # The trial pool filled from a fresh database ends exactly full, and refuses every later
    # machine.
    fill = document["fill"]
    assert fill["end_used"] == fill["limit"] == fill["end_live"]
    assert fill["after_requests"] > 0 and fill["after_refused"] == fill["after_requests"]
    assert sum(piece["created"] for piece in fill["slices"]) == fill["limit"]
    growth = document["growth"]
    assert set(growth["ratios"]) == {"cold", "hot"} and growth["errors"] == 0
    assert all(rate > 0 for rate in growth["rates"].values())
    assert document["extras"]["paced50"]["rate"] > 0
    text = (tmp_path / "latest.md").read_text()
    assert "| cold activations (SP3) |" in text
    assert "| textbook peer: hot TRIAL100K serial |" in text
    assert "filled from a fresh database" in text and "| p99 at 50 % of max (ms) |" in text
    assert (tmp_path / "latest.png").exists() or "matplotlib" in completed.stderr
