"""Choose exact integer amounts that reproduce published, rounded figures.

Published tables are rounded (to 0,1 mnkr, whole percent, ...), so their rows rarely add up to
their sums and a deviation can differ from the difference of the rounded columns. Demo data that
should reproduce such a table must therefore pick the underlying exact amounts jointly. This
module states that as a small integer feasibility problem and solves it with a deterministic
min-conflicts local search (no scipy needed):

- `solve_feasibility` is the generic solver: integer variables with bounds, linear constraints
  ``lo <= sum(coef * var) <= hi``.
- `RoundedFit` is the convenience layer for "every published value, difference and sum must round
  to what was printed": it works in integer units (e.g. 1 000 kr) and in published *steps*
  (e.g. 0,1 mnkr = 100 units).

Rounding windows are strict (``|exact - published| < step / 2``), so the result rounds to the
published value under both half-up and half-even conventions and for negative values.

Example::

    fit = RoundedFit(step=100, spread=44)          # units of 1 000 kr, published in 0,1 mnkr
    fit.add("a", to_steps("587.3"))
    fit.add("b", to_steps("576.0"))
    fit.rounds_to({"b": 1, "a": -1}, to_steps("-11.3"), "deviation")
    amounts = fit.solve(seed=1)                    # {"a": 587_3xx, "b": 575_9xx} in 1 000 kr
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

__all__ = [
    "InfeasibleError",
    "LinearConstraint",
    "RoundedFit",
    "round_half_up",
    "solve_feasibility",
    "to_steps",
]


class InfeasibleError(RuntimeError):
    """Raised when the search finds no assignment satisfying every constraint."""


@dataclass(frozen=True)
class LinearConstraint:
    """``lo <= sum(coef * value[var] for var, coef in terms) <= hi``, integers, bounds inclusive."""

    terms: tuple[tuple[str, int], ...]
    lo: int
    hi: int
    label: str = ""

    def value(self, values: Mapping[str, int]) -> int:
        return sum(coef * values[var] for var, coef in self.terms)

    def violation(self, total: int) -> int:
        """Distance of `total` outside the window (0 when satisfied)."""
        if total < self.lo:
            return self.lo - total
        if total > self.hi:
            return total - self.hi
        return 0


def solve_feasibility(
    domains: Mapping[str, tuple[int, int]],
    constraints: Sequence[LinearConstraint],
    *,
    seed: int = 0,
    start: Mapping[str, int] | None = None,
    max_steps: int = 200_000,
    noise: float = 0.1,
    restart_after: int = 5_000,
) -> dict[str, int]:
    """Find integers within `domains` satisfying all `constraints` (min-conflicts local search).

    Each step picks a random violated constraint and moves one of its variables to the value
    that most reduces the total violation (summed distance outside the windows); with
    probability `noise`, or when no move improves, it makes a random move that satisfies the
    picked constraint as far as that variable can. After `restart_after` steps without a new
    best, it restarts from random values. Deterministic for a given `seed` and input order.

    Variables not in `start` begin at a random value of their domain. Raises `InfeasibleError`
    after `max_steps` steps, naming the constraints still violated in the best assignment.
    """
    names = list(domains)
    for name in names:
        lo, hi = domains[name]
        if lo > hi:
            raise ValueError(f"empty domain for {name!r}: {lo}..{hi}")
    for con in constraints:
        for var, _ in con.terms:
            if var not in domains:
                raise KeyError(f"constraint {con.label!r} uses unknown variable {var!r}")
    rng = random.Random(seed)
    by_var: dict[str, list[tuple[int, int]]] = {name: [] for name in names}
    for idx, con in enumerate(constraints):
        for var, coef in con.terms:
            by_var[var].append((idx, coef))

    def random_start() -> dict[str, int]:
        return {name: rng.randint(*domains[name]) for name in names}

    values = random_start()
    if start:
        for name, val in start.items():
            lo, hi = domains[name]
            values[name] = min(max(val, lo), hi)
    totals = [con.value(values) for con in constraints]
    best_total = sum(con.violation(t) for con, t in zip(constraints, totals, strict=True))
    best_values = dict(values)
    since_best = 0

    def delta_for(var: str, new: int) -> int:
        step = new - values[var]
        return sum(
            constraints[idx].violation(totals[idx] + coef * step)
            - constraints[idx].violation(totals[idx])
            for idx, coef in by_var[var]
        )

    def candidates(var: str, only: int | None = None) -> list[int]:
        """Breakpoints of the (convex, piecewise linear) violation as a function of `var`."""
        lo, hi = domains[var]
        cur = values[var]
        points = {lo, hi, cur}
        for idx, coef in by_var[var]:
            if only is not None and idx != only:
                continue
            con = constraints[idx]
            rest = totals[idx] - coef * cur
            for bound in (con.lo, con.hi):
                # coef * x + rest == bound  ->  x near (bound - rest) / coef
                floor = (bound - rest) // coef
                for x in (floor, floor + 1):
                    if lo <= x <= hi:
                        points.add(x)
        return sorted(points)

    def apply(var: str, new: int) -> None:
        step = new - values[var]
        if step:
            for idx, coef in by_var[var]:
                totals[idx] += coef * step
            values[var] = new

    current = best_total
    for _ in range(max_steps):
        if current == 0:
            return dict(values)
        violated = [i for i, con in enumerate(constraints) if con.violation(totals[i])]
        ci = violated[rng.randrange(len(violated))]
        con_vars = [var for var, _ in constraints[ci].terms]
        moves: list[tuple[int, str, int]] = []
        for var in con_vars:
            for new in candidates(var):
                if new != values[var]:
                    moves.append((delta_for(var, new), var, new))
        best_delta = min((m[0] for m in moves), default=0)
        if moves and best_delta < 0 and rng.random() >= noise:
            choice = [m for m in moves if m[0] == best_delta]
            delta, var, new = choice[rng.randrange(len(choice))]
        else:
            var = con_vars[rng.randrange(len(con_vars))]
            coef = dict(constraints[ci].terms)[var]
            own = [
                (constraints[ci].violation(totals[ci] + coef * (x - values[var])), x)
                for x in candidates(var, only=ci)
            ]
            low = min(v for v, _ in own)
            xs = [x for v, x in own if v == low]
            new = rng.randint(min(xs), max(xs))
            delta = delta_for(var, new)
        apply(var, new)
        current += delta
        if current < best_total:
            best_total, best_values, since_best = current, dict(values), 0
        else:
            since_best += 1
            if since_best >= restart_after:
                values = random_start()
                totals = [c.value(values) for c in constraints]
                current = sum(c.violation(t) for c, t in zip(constraints, totals, strict=True))
                since_best = 0
    still = [c.label or repr(c) for c in constraints if c.violation(c.value(best_values))]
    raise InfeasibleError(
        f"no feasible assignment after {max_steps} steps; violated: {', '.join(still[:10])}"
    )


def to_steps(value: str | float | int | Decimal, decimals: int = 1) -> int:
    """Published value as an integer number of its last-digit steps ("587.3" -> 5873)."""
    scaled = Decimal(str(value)).scaleb(decimals)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value!r} has more than {decimals} decimals")
    return int(scaled)


def round_half_up(value: float | int | Decimal, decimals: int = 1) -> Decimal:
    """Commercial rounding (half away from zero), as used in the published reports."""
    quantum = Decimal(1).scaleb(-decimals)
    return Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)


@dataclass
class RoundedFit:
    """Pick integer amounts (in `units`) so that published rounded figures are reproduced.

    `step` is the number of units per published last digit (0,1 mnkr in units of 1 000 kr:
    100). A variable added with a published value starts as ``published * step`` and may move
    at most `spread` units; a variable without one (e.g. a split the source does not publish)
    takes an explicit `base`. `rounds_to` requires a linear combination of variables to round
    to a published value; `between` gives a raw window. `solve` returns the amounts in units.
    """

    step: int
    spread: int
    base: dict[str, int] = field(default_factory=dict)
    domains: dict[str, tuple[int, int]] = field(default_factory=dict)
    constraints: list[LinearConstraint] = field(default_factory=list)

    def add(
        self,
        name: str,
        published_steps: int | None = None,
        *,
        base: int | None = None,
        spread: int | None = None,
    ) -> None:
        """Declare a variable around `published_steps * step`, or around `base` units."""
        if name in self.base:
            raise ValueError(f"variable {name!r} already added")
        if (published_steps is None) == (base is None):
            raise ValueError("give exactly one of published_steps and base")
        center = published_steps * self.step if published_steps is not None else base
        width = self.spread if spread is None else spread
        if published_steps is not None and width > self.half_window:
            raise ValueError(f"spread {width} exceeds the rounding window {self.half_window}")
        self.base[name] = int(center)
        self.domains[name] = (-width, width)
        if published_steps is not None:
            self.rounds_to({name: 1}, published_steps, f"{name} = {published_steps}")

    @property
    def half_window(self) -> int:
        """Largest |exact - published| in units that rounds safely (strictly inside)."""
        return (self.step - 1) // 2

    def rounds_to(
        self, terms: Mapping[str, int] | Iterable[str], published_steps: int, label: str = ""
    ) -> None:
        """Require ``sum(coef * amount)`` to round to `published_steps`."""
        target = published_steps * self.step
        self.between(terms, target - self.half_window, target + self.half_window, label)

    def between(
        self, terms: Mapping[str, int] | Iterable[str], lo: int, hi: int, label: str = ""
    ) -> None:
        """Require ``lo <= sum(coef * amount) <= hi`` (amounts in units)."""
        pairs = tuple(terms.items()) if isinstance(terms, Mapping) else tuple((t, 1) for t in terms)
        offset = sum(coef * self.base[var] for var, coef in pairs)
        self.constraints.append(LinearConstraint(pairs, lo - offset, hi - offset, label))

    def solve(self, seed: int = 0, **kwargs: int | float) -> dict[str, int]:
        """Amounts in units; raises `InfeasibleError` if the search fails."""
        offsets = solve_feasibility(self.domains, self.constraints, seed=seed, **kwargs)
        return {name: self.base[name] + offsets[name] for name in self.base}
