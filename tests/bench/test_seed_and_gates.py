from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from bench import gates
from bench.seed import Progress, seed, write_files


def test_the_progress_bar_reaches_its_total(tmp_path: Path) -> None:
    with open(tmp_path / "progress.txt", "w") as stream:
        progress = Progress("serials", 10, stream)
        progress.advance(4)
        progress.advance(6)
        progress.close()
    assert "10/10" in (tmp_path / "progress.txt").read_text()


async def test_seeding_makes_consistent_data_and_the_gates_catch_a_broken_count(
    database_url: str, tmp_path: Path
) -> None:
    seeded = await seed(database_url, sp3=500, trials=2, activated=100, quiet=True)
    write_files(seeded, tmp_path)
    assert len((tmp_path / "sp3.txt").read_text().split()) == 500
    assert len((tmp_path / "machines.txt").read_text().splitlines()) == 300
    since = datetime.now(UTC)
    report = await gates.check(database_url, "http://127.0.0.1:9", since, sample=0)
    assert report.passed, report.failures

    connection = await asyncpg.connect(database_url)
    try:
        assert await connection.fetchval("SELECT count(*) FROM serials") == 602
        assert await connection.fetchval("SELECT sum(used) FROM serials") == 300
        serial = seeded.sp3[0]
        await connection.execute("UPDATE serials SET used = 2 WHERE serial = $1", serial)
    finally:
        await connection.close()
    report = await gates.check(database_url, "http://127.0.0.1:9", since, sample=0)
    assert not report.passed
    assert any("used count differs" in failure for failure in report.failures)
