"""Checks users can run on their own Functions and models: first and second derivatives against finite differences.

``grad_check(fn, *inputs)``: the gradient of ``fn`` against central differences (float64).
``gradgrad_check(fn, *inputs)``: the derivatives of that gradient (``create_graph=True``) against central
differences of the gradient (float64).
``jax_grad(fn)`` / ``jax_function(fn)``: on the jax backend, JAX's own derivatives (any order) through anynn's
forward pass, a second opinion independent of anynn's tape.
``assert_close(actual, expected)``: PyTorch's ``torch.testing.assert_close`` (tolerances by dtype, its messages);
``assert_allclose``: its deprecated predecessor, for older programs.
``make_tensor(*shape, dtype=..., device=...)``: PyTorch's ``torch.testing.make_tensor`` (random values in a range).
"""

from .autograd.grad_check import GradientCheckError, grad_check
from .autograd.gradgrad_check import gradgrad_check
from .comparison import assert_allclose, assert_close
from .compile.jax_grad import jax_function, jax_grad
from .test_tensors import make_tensor

__all__ = ["GradientCheckError", "assert_allclose", "assert_close", "grad_check", "gradgrad_check", "jax_function",
           "jax_grad", "make_tensor"]
