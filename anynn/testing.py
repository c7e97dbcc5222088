"""Checks users can run on their own Functions and models: first and second derivatives against finite differences.

``grad_check(fn, *inputs)``: the gradient of ``fn`` against central differences (float64).
``gradgrad_check(fn, *inputs)``: the derivatives of that gradient (``create_graph=True``) against central
differences of the gradient (float64).
"""

from .autograd.grad_check import GradientCheckError, grad_check
from .autograd.gradgrad_check import gradgrad_check

__all__ = ["GradientCheckError", "grad_check", "gradgrad_check"]
