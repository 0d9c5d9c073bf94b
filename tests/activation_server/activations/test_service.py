"""Rules of the activation service that need no database."""

from __future__ import annotations

import time
import uuid

from activation_server.activations.service import time_ordered_uuid


def test_activation_ids_are_version_7_uuids_in_time_order() -> None:
    before = time.time_ns() // 1_000_000
    ids = [time_ordered_uuid() for _ in range(2000)]
    after = time.time_ns() // 1_000_000
    assert all(value.version == 7 and value.variant == uuid.RFC_4122 for value in ids)
    stamps = [value.int >> 80 for value in ids]
    assert before <= stamps[0] and stamps[-1] <= after
    assert stamps == sorted(stamps)
    # 74 random bits: no two alike, and no bit stuck outside the version and variant fields.
    assert len(set(ids)) == len(ids)
    random_part = [value.int & ((1 << 80) - 1) for value in ids]
    varying = 0
    for value in random_part:
        varying |= value ^ random_part[0]
    fixed = (0xF << 76) | (0b11 << 62)
    assert varying | fixed == (1 << 80) - 1
