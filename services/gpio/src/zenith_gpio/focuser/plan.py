"""Where a move goes: the waypoints, with backlash taken up on the way.

Every move ends travelling outward (increasing position). A move inward
first overshoots the target by ``backlash`` steps (never past the lower soft
limit), then comes back out to it, so the gear slack is always on the same
side when the motor stops.
"""

from __future__ import annotations


def waypoints(position: int, target: int, backlash: int, min_position: int) -> list[int]:
    """Positions to visit in order, ending at ``target`` (empty: already there)."""
    if target == position:
        return []
    if target > position or backlash <= 0:
        return [target]
    overshoot = max(target - backlash, min(min_position, target))
    if overshoot >= target:
        return [target]
    return [overshoot, target]


def steps_needed(position: int, points: list[int]) -> int:
    total = 0
    for point in points:
        total += abs(point - position)
        position = point
    return total
