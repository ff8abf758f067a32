"""Plain transcriptions of the KTS definitions, and small feature sets, for the exactness tests."""

import numpy as np

from kts.scatter import segment_scatters


def plain_cpd_nonlin(kernel, ncp, lmin=1, lmax=100000, first_longest=None):
    """The recurrence written as loops: best[k][l] = min over t of best[k-1][t] + scatter(t..l-1).

    The first segment has at most first_longest frames: lmax - 1 as in the reference (its first
    row stops one short), or lmax.
    """
    n = kernel.shape[0]
    scatter = segment_scatters(kernel)
    unreachable = 1e101
    best = [[unreachable] * (n + 1) for _ in range(ncp + 1)]
    choice = [[0] * (n + 1) for _ in range(ncp + 1)]
    first_longest = lmax - 1 if first_longest is None else first_longest
    for length in range(lmin, min(first_longest, n) + 1):
        best[0][length] = scatter[0, length - 1]
    for k in range(1, ncp + 1):
        for covered in range((k + 1) * lmin, n + 1):
            options = [(best[k - 1][t] + scatter[t, covered - 1], t)
                       for t in range(max(k * lmin, covered - lmax), covered - lmin + 1)]
            value = min(v for v, _ in options)
            best[k][covered] = value
            choice[k][covered] = next(t for v, t in options if v == value)  # the earliest
    points, end = [], n
    for k in range(ncp, 0, -1):
        end = choice[k][end]
        points.insert(0, end)
    costs = np.array([best[k][n] for k in range(ncp + 1)])
    costs[costs > 1e99] = np.inf
    return np.array(points, dtype=int), costs


def plain_cpd_auto(kernel, ncp, vmax, desc_rate=1, lmin=1, lmax=100000, first_longest=None):
    n = kernel.shape[0]
    _, costs = plain_cpd_nonlin(kernel, ncp, lmin, lmax, first_longest)
    frames = n * desc_rate
    penalty = np.array([0.0] + [(vmax * m / (2.0 * frames)) * (np.log(float(frames) / m) + 1) for m in range(1, ncp + 1)])
    chosen = int(np.argmin(costs / float(n) + penalty))
    return plain_cpd_nonlin(kernel, chosen, lmin, lmax, first_longest)


def make_features(kind, n, d, rng):
    if kind == "random":
        x = rng.standard_normal((n, d))
    elif kind == "planted":
        cuts = sorted(rng.choice(np.arange(1, n), size=min(n - 1, int(rng.integers(0, 5))), replace=False)) if n > 1 else []
        x = np.repeat(rng.standard_normal((len(cuts) + 1, d)), np.diff([0, *cuts, n]), axis=0)
        x = x + 0.2 * rng.standard_normal((n, d))
    elif kind == "constant":
        x = np.ones((n, d))
    else:  # "ties": few distinct binary frames, many exactly equal costs
        x = rng.integers(0, 2, (n, d)).astype(float)
    x = x.astype(np.float32)
    return x / (np.linalg.norm(x, axis=1, keepdims=True) + 1e-10)


CASES = [(kind, seed) for kind in ("random", "planted", "constant", "ties") for seed in range(25)]
