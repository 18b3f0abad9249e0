"""A pairwise (covering) design: combinations of factor levels in which every
pair of levels of any two factors occurs at least once.

The full product of many factors grows as their product; a pairwise design
grows roughly as the product of the two largest, and still meets every
interaction of two factors, where most bugs live (the sparse path's own
constant rule showed only for sparse input *and* weights). Built greedily and
deterministically: each round takes, among the valid combinations, the first
that covers the most pairs not yet covered.
"""

import itertools


def pairwise(factors, valid=lambda combination: True):
    """Return a list of combinations (dicts factor -> level) covering every
    pair of levels that some valid combination holds.

    Parameters
    ----------
    factors : dict of str -> sequence
        Each factor's levels, in order.
    valid : callable, default accepts all
        ``valid(combination)`` says whether a combination can be run (an
        input that cannot be built, say); pairs that only invalid
        combinations hold are not required.
    """
    names = list(factors)
    candidates = [
        dict(zip(names, levels, strict=True))
        for levels in itertools.product(*(factors[name] for name in names))
    ]
    candidates = [c for c in candidates if valid(c)]
    pairs_of = [_pairs(c, names) for c in candidates]
    uncovered = set().union(*pairs_of) if pairs_of else set()
    design = []
    while uncovered:
        best = max(range(len(candidates)), key=lambda i: len(pairs_of[i] & uncovered))
        design.append(candidates[best])
        uncovered -= pairs_of[best]
    return design


def _pairs(combination, names):
    return {
        ((a, combination[a]), (b, combination[b]))
        for a, b in itertools.combinations(names, 2)
    }
