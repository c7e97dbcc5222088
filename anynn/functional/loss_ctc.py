"""Connectionist temporal classification: `ctc_loss` (PyTorch's ``F.ctc_loss``).

The negative log-likelihood of each target sequence summed over all its alignments with the input frames,
computed by the alpha (forward) recursion in log space, vectorised over the batch and the positions of the
extended label sequence (the target with a blank before, between and after its labels) and looped over time
only. The backward runs the beta recursion and uses PyTorch's gradient formula, which assumes ``log_probs`` came
from ``log_softmax`` over the classes (the usual case):

    grad[t, n, c] = exp(lp[t, n, c]) - exp(log(sum_{s: l'_s = c} alpha_t(s) beta_t(s)) + nll_n - lp[t, n, c])

The first term is the gradient of the normalisation, which ``log_softmax``'s backward removes again; with inputs
that are not normalised log-probabilities the gradient is PyTorch's, not the derivative of the returned value.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from ..backend.arrays import device_of as device

from ..autograd.double_backward import register_fused_rule
from ..autograd.primitive import Function
from ..autograd.tensor import Tensor, make_tensor
from ..backend import dtype_name, op
from ..backend.arrays import check
from ..backend.typing import Namespace
from .loss_inputs import check_reduction
from .value_checks import KernelNotImplementedError

__all__ = ["CTCLossFunction", "ctc_loss"]


def _logsumexp3(xp: Namespace, a: Any, b: Any, c: Any) -> Any:
    """``log(exp(a) + exp(b) + exp(c))`` elementwise; ``-inf`` where all three are ``-inf`` (not NaN)."""
    m = xp.maximum(xp.maximum(a, b), c)
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    return xp.log(xp.exp(a - m) + xp.exp(b - m) + xp.exp(c - m)) + m


def _shift(xp: Namespace, x: Any, k: int, fill: Any) -> Any:
    """``x`` (N, L) moved ``k`` positions along the last axis (right for ``k > 0``, left for ``k < 0``), the
    vacated positions ``fill`` (an (N, 1) array of the fill value)."""
    length = x.shape[1]
    if abs(k) >= length:
        return xp.broadcast_to(fill, x.shape)
    pad = xp.broadcast_to(fill, (x.shape[0], abs(k)))
    return xp.concat([pad, x[:, :length - k]], axis=1) if k > 0 else xp.concat([x[:, -k:], pad], axis=1)


class CTCLossFunction(Function):
    """Per-sample CTC losses (N,) of ``log_probs`` (T, N, C).

    Parameters (set by `ctc_loss`): ``labels`` (N, L) int64, the extended label sequences (blank at even
    positions); ``skip`` (N, L) bool, whether position ``s`` may be reached from ``s - 2`` (a label differing from
    the one two positions back); ``input_lengths`` and ``target_lengths`` (N,) int64; ``zero_infinity``.
    """

    labels: Any
    skip: Any
    input_lengths: Any
    target_lengths: Any
    zero_infinity: bool

    def forward(self, xp: Namespace, log_probs: Any) -> Any:
        steps, batch, _ = log_probs.shape
        labels, lengths = self.labels, self.input_lengths
        width = labels.shape[1]
        where = device(log_probs)
        self.log_probs = log_probs
        grid = xp.broadcast_to(labels[None, ...], (steps, batch, width))
        self.emit = emit = xp.take_along_axis(log_probs, grid, axis=2)
        self.ninf = ninf = xp.full((batch, 1), -math.inf, dtype=log_probs.dtype, device=where)
        positions = xp.arange(width, device=where)[None, :]
        alpha = xp.where(positions < 2, emit[0, ...], ninf)
        alphas = [alpha]
        for t in range(1, steps):
            skipped = xp.where(self.skip, _shift(xp, alpha, 2, ninf), ninf)
            step = _logsumexp3(xp, alpha, _shift(xp, alpha, 1, ninf), skipped) + emit[t, ...]
            alpha = xp.where((lengths > t)[:, None], step, alpha)  # past its input length a sample keeps its alpha
            alphas.append(alpha)
        self.alphas = xp.stack(alphas)
        # the two final positions 2 S and 2 S - 1 (the latter absent for an empty target)
        last = 2 * self.target_lengths
        ends = xp.stack([last, xp.where(last > 0, last - 1, last)], axis=1)
        finals = xp.take_along_axis(alpha, ends, axis=1)
        nll = -_logsumexp3(xp, finals[:, 0], xp.where(last > 0, finals[:, 1], ninf[:, 0]), ninf[:, 0])
        # no input frames: an empty target has probability 1, any other 0
        empty = xp.where(self.target_lengths == 0, xp.zeros_like(nll), xp.full_like(nll, math.inf))
        self.nll = nll = xp.where(lengths == 0, empty, nll)
        if self.zero_infinity:
            self.infinite = xp.isinf(nll)
            nll = xp.where(self.infinite, xp.zeros_like(nll), nll)
        return nll

    def backward(self, xp: Namespace, g: Any) -> Any:
        emit, ninf, lengths = self.emit, self.ninf, self.input_lengths
        steps, batch, width = emit.shape
        where = device(emit)
        positions = xp.arange(width, device=where)[None, :]
        last = 2 * self.target_lengths[:, None]
        is_end = (positions == last) | (positions == last - 1)
        skip_next = _shift(xp, self.skip, -2, xp.zeros((batch, 1), dtype=xp.bool, device=where))
        beta = xp.broadcast_to(ninf, (batch, width))
        betas = []
        for t in range(steps - 1, -1, -1):
            skipped = xp.where(skip_next, _shift(xp, beta, -2, ninf), ninf)
            step = _logsumexp3(xp, beta, _shift(xp, beta, -1, ninf), skipped) + emit[t, ...]
            start = xp.where(is_end, emit[t, ...], ninf)
            beta = xp.where((lengths - 1 == t)[:, None], start, xp.where((lengths - 1 > t)[:, None], step, ninf))
            betas.append(beta)
        betas.reverse()
        # occupancy of each (frame, position): alpha beta / p, in the linear domain (at most 1, no overflow); an
        # impossible target (p = 0) has none, and its gradient is NaN below, as PyTorch's 0 * inf
        infinite = xp.isinf(self.nll)
        nll = xp.where(infinite, xp.zeros_like(self.nll), self.nll)
        occupancy = xp.exp(self.alphas + xp.stack(betas) + nll[None, :, None])  # (T, N, L)
        log_probs = self.log_probs
        classes = log_probs.shape[2]
        # summed per class: rows n * C + label of the (N * L, T) occupancies added into (N * C, T)
        rows = xp.reshape(self.labels + classes * xp.arange(batch, device=where)[:, None], (-1,))
        by_position = xp.reshape(xp.permute_dims(occupancy, (1, 2, 0)), (batch * width, steps))
        per_class = op(self.backend, "scatter_add")(rows, by_position, batch * classes)
        per_class = xp.permute_dims(xp.reshape(per_class, (batch, classes, steps)), (2, 0, 1))  # (T, N, C)
        grad = xp.exp(log_probs) - xp.exp(xp.log(per_class) - log_probs)
        grad = xp.where(infinite[None, :, None], xp.full_like(grad, math.nan), grad)
        frames = xp.arange(steps, device=where)[:, None]
        kept = frames < lengths[None, :]  # frames past an input length get no gradient
        if self.zero_infinity:
            kept = kept & ~self.infinite[None, :]
        return xp.where(kept[:, :, None], grad * g[None, :, None], xp.zeros_like(grad))


def _host_lengths(name: str, what: str, value: Any, batch: int) -> list[int]:
    """``value`` (a Tensor, a sequence of ints or an int) as a list of ``batch`` Python ints."""
    if isinstance(value, Tensor):
        if value.ndim > 1:
            raise RuntimeError(f"{name}: {what} must be a 1-D Tensor or a tuple of ints, got shape "
                               f"{tuple(value.shape)}")
        host = value.backend.to_host(value.array)
        found = [int(v) for v in host.reshape(-1).tolist()]
    elif isinstance(value, int):
        found = [value]
    elif isinstance(value, Sequence):
        found = [int(v) for v in value]
    elif hasattr(value, "tolist"):
        listed = value.tolist()
        found = [int(v) for v in (listed if isinstance(listed, list) else [listed])]
    else:
        raise TypeError(f"{name}: {what} must be a Tensor or a tuple of ints, got {type(value).__name__}")
    if len(found) != batch:
        raise RuntimeError(f"{name}: {what} must have {batch} entries (one per sequence), got {len(found)}")
    return found


_NO_SECOND_DERIVATIVE = "derivative for aten::_ctc_loss_backward is not implemented (as in PyTorch: ctc_loss has no " \
    "second derivative)"


class CTCGradient(Function):
    """ctc_loss's gradient recorded by a ``create_graph=True`` pass, as PyTorch records it: ``value`` (T, N, C),
    computed by `CTCLossFunction`'s backward, requiring grad where the log-probabilities or the incoming gradient
    (``anchors``) do; differentiating it raises PyTorch's error. (So ``loss.backward(create_graph=True)`` runs, and
    a penalty only fails where its gradient goes back through ctc_loss.)"""

    def forward(self, xp: Namespace, value: Any, *anchors: Any) -> Any:
        return value

    def backward(self, xp: Namespace, g: Any) -> Any:
        raise RuntimeError(_NO_SECOND_DERIVATIVE)


def _recorded_gradient(fn: Any, inputs: tuple[Any, ...], grads: tuple[Any, ...]) -> Any:
    """The recorded gradient of a `CTCLossFunction` node: its first-order value in one `CTCGradient` node."""
    g = grads[0]
    value = fn.backward(fn.backend.xp, g.array if isinstance(g, Tensor) else g)
    anchors = [t for t in (g, inputs[0]) if isinstance(t, Tensor) and t.requires_grad]
    return CTCGradient.apply(make_tensor(value, fn.backend, None, 0), *anchors)


register_fused_rule(CTCLossFunction, _recorded_gradient)


def ctc_loss(log_probs: Tensor, targets: Any, input_lengths: Any, target_lengths: Any, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """The connectionist temporal classification loss, as PyTorch's ``F.ctc_loss``.

    log_probs: (T, N, C) or unbatched (T, C), log-probabilities over C classes (``log_softmax`` outputs);
    targets: (N, S) padded or (sum(target_lengths),) concatenated class indices (blank excluded) (unbatched, a
    (target_length,) row is the concatenated form, as in PyTorch);
    input_lengths, target_lengths: (N,) Tensors or tuples of ints, each at most T / S. ``reduction="mean"``
    divides each loss by its target length (at least 1) and averages over the batch, ``"sum"`` adds them,
    ``"none"`` returns them, (N,) (0-d unbatched). Impossible alignments give ``inf`` losses (NaN gradients)
    unless ``zero_infinity``, which gives them 0 and a zero gradient.
    """
    name = "ctc_loss"
    check_reduction(name, reduction)
    if not isinstance(log_probs, Tensor):
        raise TypeError(f"{name}: log_probs must be a Tensor, got {type(log_probs).__name__}")
    dtype = dtype_name(log_probs.array.dtype)
    if dtype not in ("float32", "float64"):
        raise KernelNotImplementedError(f"{name}: log_probs must be float32 or float64, got {dtype}")
    for what, lengths in (("input_lengths", input_lengths), ("target_lengths", target_lengths)):
        if isinstance(lengths, Tensor) and lengths.backend.is_traced(lengths.array):  # (PyTorch's exporter has none)
            raise NotImplementedError(f"{name}: {what} is a recorded or traced tensor (an ONNX export's graph input, a "
                                      f"jit argument), but the loss's dynamic programme runs over the lengths' "
                                      f"values, which it has only when the graph runs; pass tuples of ints")
    if None in log_probs.shape:
        raise NotImplementedError(f"{name}: log_probs of shape {tuple(log_probs.shape)} has a symbolic axis (an ONNX "
                                  f"export with dynamic_axes), but the loss's dynamic programme runs over its sizes")
    if any(int(n) == 0 for n in log_probs.shape):
        raise RuntimeError(f"{name}: log_probs tensor must not be empty, got shape {tuple(log_probs.shape)}")
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs = log_probs.unsqueeze(1)
    if log_probs.ndim != 3:
        raise RuntimeError(f"{name}: log_probs must be (T, N, C) or (T, C), got shape {tuple(log_probs.shape)}")
    steps, batch, classes = (int(n) for n in log_probs.shape)
    if not 0 <= blank < classes:
        raise RuntimeError(f"{name}: blank must be in label range [0, {classes}), got {blank}")
    backend = log_probs.backend
    xp, where = backend.xp, device(log_probs.array)
    inputs = _host_lengths(name, "input_lengths", input_lengths, batch)
    lengths = _host_lengths(name, "target_lengths", target_lengths, batch)
    for what, found, bound in (("input_lengths", inputs, steps), ("target_lengths", lengths, None)):
        if min(found, default=0) < 0:
            raise RuntimeError(f"{name}: Expected {what} to have value at least 0, but got value {min(found)}")
        if bound is not None and max(found, default=0) > bound:
            raise RuntimeError(f"{name}: Expected {what} to have value at most {bound}, but got value {max(found)}")
    if isinstance(targets, Tensor):
        if targets.backend != backend:
            raise RuntimeError(f"{name}: targets are on backend {targets.backend.key!r}, log_probs on "
                               f"{backend.key!r}; move them with .to({backend.key!r})")
        target_array = targets.array
    else:
        target_array = xp.asarray(targets, device=where)
    target_array = xp.astype(target_array, xp.int64)
    longest = max(lengths, default=0)
    if target_array.ndim == 2:
        if target_array.shape[0] != batch or target_array.shape[1] < longest:
            raise RuntimeError(f"{name}: padded targets must be ({batch}, at least {longest}), got "
                               f"{tuple(target_array.shape)}")
        padded = target_array[:, :longest]
    elif target_array.ndim == 1:
        if target_array.shape[0] != sum(lengths):
            raise RuntimeError(f"{name}: concatenated targets must have sum(target_lengths) = {sum(lengths)} "
                               f"entries, got {target_array.shape[0]}")
        starts = [sum(lengths[:n]) for n in range(batch)]
        total = max(sum(lengths) - 1, 0)  # an empty target reads (and never uses) the last entry
        gather = [[min(starts[n] + min(s, max(lengths[n] - 1, 0)), total) for s in range(longest)]
                  for n in range(batch)]
        flat = xp.asarray(gather, dtype=xp.int64, device=where) if longest else None
        padded = (xp.reshape(xp.take(target_array, xp.reshape(flat, (-1,)), axis=0), (batch, longest))
                  if longest and target_array.shape[0] else xp.zeros((batch, longest), dtype=xp.int64, device=where))
    else:
        raise RuntimeError(f"{name}: targets must be (N, S) padded or 1-D concatenated, got shape "
                           f"{tuple(target_array.shape)}")
    if longest:  # (PyTorch reads past the class axis for a label outside [0, C): a number that means nothing)
        counted = xp.arange(longest, device=where)[None, :] < xp.asarray(lengths, device=where)[:, None]
        check(backend, counted & ((padded < 0) | (padded >= classes)),
              f"{name}: targets hold a label outside [0, {classes}) for log_probs with {classes} classes",
              error=IndexError)
    # extended labels: blank, l_1, blank, l_2, ..., l_S, blank
    blanks = xp.full((batch, longest + 1), blank, dtype=xp.int64, device=where)
    labels = xp.reshape(xp.stack([blanks[:, :longest], padded], axis=2), (batch, 2 * longest))
    labels = xp.concat([labels, blanks[:, :1]], axis=1)
    # each position's label two back (blank before the start); with every target empty the labels are one blank
    head = xp.full((batch, 2), blank, dtype=xp.int64, device=where)
    back2 = xp.concat([head, labels[:, :2 * longest - 1]], axis=1) if longest else head[:, :1]
    skip = (labels != blank) & (labels != back2)
    losses = CTCLossFunction.apply(
        log_probs, labels=labels, skip=skip, zero_infinity=bool(zero_infinity),
        input_lengths=xp.asarray(inputs, dtype=xp.int64, device=where),
        target_lengths=xp.asarray(lengths, dtype=xp.int64, device=where))
    if reduction == "sum":
        return losses.sum()
    if reduction == "mean":
        divisors = xp.asarray([float(max(n, 1)) for n in lengths], dtype=log_probs.array.dtype, device=where)
        return (losses / make_tensor(divisors, backend, None, 0)).mean()
    return losses[0] if unbatched else losses
