"""CPU time and memory of process groups, read from /proc (Linux only)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name is in parentheses and may hold spaces: split after its closing one.
    return raw[raw.rindex(")") + 2 :].split()


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def session_members(session: int) -> list[int]:
    """Processes of a session (a server started with start_new_session=True and its workers)."""
    members = []
    for pid in _pids():
        fields = _stat(pid)
        # fields[0] is the state; [1] ppid, [2] pgrp, [3] session.
        if fields is not None and int(fields[3]) == session:
            members.append(pid)
    return members


def children_of(parent: int) -> list[int]:
    """A process and its direct children (the postmaster and its backends)."""
    members = [parent]
    for pid in _pids():
        fields = _stat(pid)
        if fields is not None and int(fields[1]) == parent:
            members.append(pid)
    return members


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = _stat(pid)
        if fields is not None:
            # utime and stime: fields 14 and 15 of stat, 11 and 12 after the name.
            total += int(fields[11]) + int(fields[12])
    return total / TICKS


def rss_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        fields = _stat(pid)
        if fields is not None:
            total += int(fields[21]) * PAGE
    return total


def machine_ticks() -> tuple[int, int]:
    """The machine's CPU ticks since boot: (stolen by the hypervisor, all), from /proc/stat.

    On a shared VM, steal is time the other guests of the host took from this one: the part of a
    slow run that no process of the benchmark shows."""
    try:
        first = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    except OSError:
        return 0, 0
    # cpu user nice system idle iowait irq softirq steal guest guest_nice; guest time is
    # already inside user and nice.
    ticks = [int(value) for value in first[1:9]]
    return (ticks[7] if len(ticks) > 7 else 0), sum(ticks)


def steal_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    """The share of the machine's CPU time stolen between two ``machine_ticks()`` reads."""
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total > 0 else 0.0


def reaped_cpu_seconds(pid: int) -> float:
    """CPU of a process's children that have ended (cutime + cstime): the backends of closed
    database connections, which a membership read at the end no longer finds."""
    fields = _stat(pid)
    if fields is None:
        return 0.0
    return (int(fields[13]) + int(fields[14])) / TICKS


class CpuMeter:
    """CPU seconds of a group of processes between two reads; membership is re-read each time.

    With ``parent`` (the postmaster), processes that end between the two reads are counted
    through the parent's reaped-children times.
    """

    def __init__(self, members: Callable[[], list[int]], parent: int | None = None) -> None:
        self.members = members
        self.parent = parent
        self._start: dict[int, float] = {}
        self._reaped = 0.0

    def _read(self) -> dict[int, float]:
        return {pid: cpu_seconds([pid]) for pid in self.members()}

    def start(self) -> None:
        self._start = self._read()
        self._reaped = reaped_cpu_seconds(self.parent) if self.parent else 0.0

    def stop(self) -> float:
        end = self._read()
        total = sum(value - self._start.get(pid, 0.0) for pid, value in end.items())
        if self.parent:
            # Children alive at the start and ended since were counted into the start values.
            gone = sum(value for pid, value in self._start.items() if pid not in end)
            total += reaped_cpu_seconds(self.parent) - self._reaped - gone
        return total
