"""Small-number suppression, in one function.

A count from 1 to the school's threshold is shown as "fewer than <threshold + 1>" (primary
suppression). A figure that would let a hidden count be worked out is hidden too (secondary
suppression, shown as "not shown"). Within a group of counts that add up to a shown total,
the hidden counts add up to what the shown ones leave; a reader knows each small one lies
between 1 and the threshold and each "not shown" one above it. If those bounds pin any hidden
count to one value (a lone hidden count; 2 + 2 = 4 with a threshold of 2; "not shown" ≥ 3 and
"fewer than 3" adding up to 4), the next-smallest shown count of the group is hidden as well,
or the total when there is none left. A lone hidden count always gets a companion, even when
the group's total is hidden, as another table may show or bound the same total.

Groups may share cells (a school's column and the trust's row): the rules are applied until
nothing changes.
"""

from collections.abc import Hashable, Iterable


def _pinned(values: list[int], threshold: int, rest: int) -> bool:
    """Whether hidden counts with these true values, known to add up to `rest`, can be
    worked out one by one from their bounds (small: 1..threshold; otherwise above it)."""
    bounds = [(1, threshold) if 1 <= v <= threshold else (threshold + 1, rest) for v in values]
    low = sum(lo for lo, _ in bounds)
    high = sum(hi for _, hi in bounds)
    for lo, hi in bounds:
        least = max(lo, rest - (high - hi))
        most = min(hi, rest - (low - lo))
        if least >= most:
            return True
    return False


def suppressed_cells(
    cells: dict[Hashable, int | None],
    groups: Iterable[tuple[list[Hashable], Hashable]],
    threshold: int,
) -> set[Hashable]:
    """The keys of `cells` to hide. `groups` lists (member keys, total key): the members
    add up to the total. A value of None (no figure) is never hidden."""
    groups = [(list(members), total) for members, total in groups]
    hidden = {k for k, v in cells.items() if v is not None and 1 <= v <= threshold}
    changed = True
    while changed:
        changed = False
        for members, total in groups:
            secret = [m for m in members if m in hidden]
            if not secret:
                continue
            if total in hidden and len(secret) > 1:
                continue
            if total not in hidden:
                rest = sum(cells[m] or 0 for m in secret)
                if not _pinned([cells[m] or 0 for m in secret], threshold, rest):
                    continue
            candidates = [m for m in members if m not in hidden and cells.get(m)]
            if candidates:
                hidden.add(min(candidates, key=lambda m: cells[m]))
                changed = True
            elif total not in hidden:
                hidden.add(total)
                changed = True
    return hidden


def fewer_than(threshold: int) -> str:
    return f"fewer than {threshold + 1}"


#: Shown for a count hidden only so that a small one cannot be worked out (it is not small).
NOT_SHOWN = "not shown"


def count_text(value: int, hidden: bool, threshold: int) -> str:
    """How a count is shown: itself, "fewer than …" (small), or "not shown" (hidden so that a
    small one cannot be worked out)."""
    if not hidden:
        return str(value)
    return fewer_than(threshold) if 1 <= value <= threshold else NOT_SHOWN
