"""Standard-only versions of the fast paths, by family: slower, but they run on any array API library.

`anynn.backend.op` looks a fast path up by name here when a backend has no kernel of its own, so every name
a backend may override is importable from this package. One file per family, as array-api-extra's
``_agnostic/<family>.py``.
"""

from __future__ import annotations

from .activation import relu_grad, sigmoid, sigmoid_grad, tanh_grad
from .elementwise import bfloat16_rounded, square_grad
from .linalg import matmul, solve_triangular
from .loops import scan
from .optim import adam_moments, adam_step
from .recurrent import lstm_step, lstm_step_backward
from .scatter import scatter_add, scatter_reduce
from .special import erf, erfc
from .vendor import (attention_backward, attention_forward, conv_backward_data, conv_backward_weight, conv_forward,
                     linear_activation)
from .windows import sliding_window_view
from .writes import at_add, at_set

__all__ = ["adam_moments", "adam_step", "at_add", "at_set", "attention_backward", "attention_forward",
           "bfloat16_rounded", "conv_backward_data", "conv_backward_weight", "conv_forward", "erf", "erfc",
           "linear_activation", "lstm_step", "lstm_step_backward", "matmul", "relu_grad", "scan", "scatter_add",
           "scatter_reduce", "sigmoid", "sigmoid_grad", "sliding_window_view", "solve_triangular", "square_grad",
           "tanh_grad"]
