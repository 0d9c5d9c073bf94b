"""Tolerant machine binding: a machine whose fingerprint changed is still the machine that holds
an activation when few enough of its hardware components changed.

A client sends, beside the combined fingerprint, one hash per named component
(``fingerprint_components``, see docs/protocol.md). A product's ``binding_tolerance`` k says how
many may change. When the fingerprint holds no live activation of the serial, a live activation
of it whose stored components differ in at most k of them, while more of them stay than change,
is this machine: it is moved to the new fingerprint and components in place (no slot taken, no
transfer counted), and the answer names what changed. Otherwise the machine is a new one.

The rule of "more stay than change" keeps a tolerance from matching machines that share little:
a client that reads one component (Windows, macOS) is bound exactly whatever k is, and with the
three that Linux gives, one may change.

This step runs only where the exact look-up missed, the product has a tolerance and the machine
sent components, so the activation statements of every other request do no more than before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import asyncpg

from activation_server.activations import queries


def changed_components(stored: Mapping[str, str], sent: Mapping[str, str]) -> list[str]:
    """The components whose hash differs, or that only one side has, by name."""
    names = stored.keys() | sent.keys()
    return sorted(name for name in names if stored.get(name) != sent.get(name))


def same_machine(
    stored: Mapping[str, str], sent: Mapping[str, str], tolerance: int
) -> list[str] | None:
    """The changed components when ``sent`` is the machine bound with ``stored``, else None."""
    changed = changed_components(stored, sent)
    unchanged = len(stored.keys() | sent.keys()) - len(changed)
    if len(changed) <= tolerance and unchanged > len(changed):
        return changed
    return None


def closest(
    candidates: list[queries.NearMachine], sent: Mapping[str, str], tolerance: int
) -> tuple[queries.NearMachine, list[str]] | None:
    """The candidate that is this machine with the fewest changes, and the changes."""
    best: tuple[queries.NearMachine, list[str]] | None = None
    for candidate in candidates:
        changed = same_machine(candidate.components, sent, tolerance)
        if changed is not None and (best is None or len(changed) < len(best[1])):
            best = (candidate, changed)
    return best


async def recognise(
    pool: asyncpg.Pool, serial: str, components: dict[str, str]
) -> tuple[queries.NearMachine, list[str]] | None:
    """The live activation of the serial that a machine with these components would get back
    at its next activation, read only (a validation by serial and fingerprint)."""
    async with pool.acquire() as connection:
        tolerance = await queries.binding_tolerance(connection, serial)
        if not tolerance:
            return None
        return closest(
            await queries.near_machines(connection, serial, components), components, tolerance
        )


@dataclass(frozen=True)
class Bound:
    """The activation statement's outcome after the binding step, and what changed (None: no
    activation was moved)."""

    outcome: queries.ActivateOutcome | None
    changed: list[str] | None


async def bind(
    pool: asyncpg.Pool,
    params: queries.ActivationParams,
    components: dict[str, str],
    tolerance: int,
) -> Bound | None:
    """Moves the nearest matching activation to this machine, or activates it as a new one
    (keeping its components); None when a concurrent request moved the match first (look
    again)."""
    async with pool.acquire() as connection:
        candidates = await queries.near_machines(connection, params.serial, components)
        best = closest(candidates, components, tolerance)
        async with connection.transaction():
            if best is not None:
                candidate, changed = best
                moved = await queries.rebind(
                    connection,
                    candidate.id,
                    previous=candidate.fingerprint,
                    fingerprint=params.fingerprint,
                    components=components,
                    changed=changed,
                    address=params.address,
                )
                if not moved:
                    return None
            # Looked for: the plain statement now finds the moved activation or takes a slot.
            outcome = await queries.activate_one(connection, replace(params, tolerant=False))
            if outcome is not None and outcome.created_id is not None:
                await queries.keep_components(connection, outcome.created_id, components)
    return Bound(outcome, best[1] if best is not None else None)
