"""Array-level formulas ``f(xp, ...)`` shared by the fused Functions: each formula written once, in portable form.

A formula takes the array namespace and native arrays and returns native arrays; it records nothing.
Functions stay fused (one graph node per layer) and call these for their forward and backward math.
Where a library has a faster kernel for a formula, it is a backend fast path (`anynn.backend.op`) whose
standard-only fallback is the formula here or in `anynn.backend.portable`.
"""
