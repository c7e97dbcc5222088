"""`AdaptiveLogSoftmaxWithLoss` (PyTorch's; Grave et al., "Efficient softmax approximation for GPUs"): a softmax
over a large vocabulary split by frequency. The ``cutoffs[0]`` most frequent classes (the shortlist) sit in the head
next to one entry per tail cluster; a class of cluster ``i`` has the head's log-probability of the cluster plus its
own log-probability inside the cluster, from a low-rank projection ``tail[i]``.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any, Sequence

from .. import functional as F
from ..autograd.tensor import Tensor
from ..functional.shape import concat
from ..functional.value_checks import NotATensorError
from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])

_NAME = "AdaptiveLogSoftmaxWithLoss"


class AdaptiveLogSoftmaxWithLoss(Module):
    """Adaptive softmax with its negative log-likelihood.

    ``forward(input, target)`` takes input (N, in_features) and target (N,) class indices, or (in_features,) and
    (), and returns the named pair ``(output, loss)``: output (N,) (or ()) holds each target's log-probability, loss
    is the mean of ``-output``. ``log_prob(input)`` (N, n_classes) gives every class's log-probability,
    ``predict(input)`` (N,) the likeliest class.

    Parameters
    ----------
    in_features : int
        Features of the input (N, in_features).
    n_classes : int
        Classes of the target; ``cutoffs`` (increasing, unique, in [1, n_classes - 1]) split them into the shortlist
        ``[0, cutoffs[0])`` and the clusters ``[cutoffs[i], cutoffs[i + 1])``.
    div_value : float
        Cluster ``i``'s projection has ``in_features // div_value ** (i + 1)`` features.
    head_bias : bool
        Give the head (``head``: Linear(in_features, cutoffs[0] + n_clusters)) a bias.
    backend, dtype, seed :
        Where the weights live, and the seed of their draw (default: the global generator).
    """

    def __init__(self, in_features: int, n_classes: int, cutoffs: Sequence[int], div_value: float = 4.0,
                 head_bias: bool = False, backend: Any = None, dtype: Any = None, seed: int | None = None) -> None:
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError(f"{_NAME}: cutoffs should be a sequence of length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError(f"{_NAME}: cutoffs should be a sequence of unique, positive integers sorted in an "
                             f"increasing order, where each value is between 1 and n_classes-1, got {cutoffs} for "
                             f"n_classes={n_classes}")
        self.in_features, self.n_classes = in_features, n_classes
        self.cutoffs = [int(c) for c in cutoffs] + [n_classes]
        self.div_value, self.head_bias = div_value, head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, backend=backend, dtype=dtype)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hidden = int(in_features // (div_value ** (i + 1)))
            size = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(Linear(in_features, hidden, bias=False, backend=backend, dtype=dtype),
                                        Linear(hidden, size, bias=False, backend=backend, dtype=dtype)))
        if seed is not None:  # every weight from one seeded host generator, in order
            self.reset_parameters(seed)

    def _check(self, input: Any, ndim: tuple[int, ...]) -> None:  # noqa: A002
        if not isinstance(input, Tensor):
            raise NotATensorError(f"{_NAME}: expected an anynn Tensor input, got {type(input).__name__}; wrap it "
                                  f"with anynn.tensor(...)")
        if input.ndim not in ndim or input.shape[-1] != self.in_features:
            raise RuntimeError(f"{_NAME}: expected input of shape {'(N, ' if 2 in ndim else '('}in_features="
                               f"{self.in_features}){' or (in_features,)' if 1 in ndim else ''}, got "
                               f"{tuple(input.shape)}")

    def forward(self, input: Tensor, target: Tensor) -> Any:  # noqa: A002
        """input (N, in_features), target (N,) → ``(output (N,), loss ())``; unbatched (in_features,), () too."""
        if not isinstance(target, Tensor):
            raise NotATensorError(f"{_NAME}: expected an anynn Tensor target, got {type(target).__name__}; wrap it "
                                  f"with anynn.tensor(...)")
        if target.ndim == 1:
            self._check(input, (2,))
            if input.shape[0] != target.shape[0]:
                raise RuntimeError(f"{_NAME}: Input and target should have the same size in the batch dimension "
                                   f"(input {tuple(input.shape)}, target {tuple(target.shape)})")
        elif target.ndim == 0:
            self._check(input, (1,))
        else:
            raise RuntimeError(f"{_NAME}: 0D or 1D target tensor expected, multi-target not supported (got shape "
                               f"{tuple(target.shape)})")
        if target.is_floating_point() or target.dtype == "bool" or str(target.dtype).endswith("bool"):
            raise TypeError(f"{_NAME}: expected an integer target (class indices), got {target.dtype}")
        batched = target.ndim == 1
        x = input if batched else input.unsqueeze(0)
        t = target if batched else target.unsqueeze(0)
        if t.backend != x.backend:
            from ..backend import BackendMismatch

            raise BackendMismatch(f"{_NAME}: input is on backend {x.backend.key!r} but target is on "
                                  f"{t.backend.key!r}; move one with .to(...)")
        if t.shape[0] and (bool((t < 0).any()) or bool((t >= self.n_classes).any())):
            raise RuntimeError(f"{_NAME}: Target values should be in [0, {self.n_classes - 1}], but values in range "
                               f"[{int(t.min())}, {int(t.max())}] were found.")
        head_logprob = F.log_softmax(self.head(x), dim=1)
        gather_index = t
        pieces: list[Tensor] = []
        position = t * 0  # which entry of [0, pieces...] each row adds: 0 for the shortlist
        offset = 1
        for i in range(1, self.n_clusters + 1):
            low, high = self.cutoffs[i - 1], self.cutoffs[i]
            mask = (t >= low) & (t < high)
            gather_index = F.where(mask, t * 0 + self.shortlist_size + i - 1, gather_index)
            rows = mask.nonzero()[:, 0]
            count = int(rows.shape[0])
            if count == 0:
                continue
            cluster_logprob = F.log_softmax(self.tail[i - 1](x[rows]), dim=1)
            pieces.append(cluster_logprob.gather(1, (t[rows] - low).unsqueeze(1))[:, 0])
            # the rows of this cluster read its pieces in row order: position = offset + (rank within the cluster)
            position = F.where(mask, mask.long().cumsum(0) + (offset - 1), position)
            offset += count
        within = concat([head_logprob[:1, 0] * 0] + pieces, axis=0)[position] if pieces else 0
        output = head_logprob.gather(1, gather_index.unsqueeze(1))[:, 0] + within
        loss = (-output).mean()
        return _ASMoutput(output if batched else output[0], loss)

    def _full_log_prob(self, x: Tensor, head_output: Tensor) -> Tensor:
        head_logprob = F.log_softmax(head_output, dim=1)
        parts = [head_logprob[:, :self.shortlist_size]]
        for i, projection in enumerate(self.tail):
            cluster = self.shortlist_size + i
            parts.append(F.log_softmax(projection(x), dim=1) + head_logprob[:, cluster:cluster + 1])
        return concat(parts, axis=1)

    def log_prob(self, input: Tensor) -> Tensor:  # noqa: A002
        """input (N, in_features) → (N, n_classes): the log-probability of every class."""
        self._check(input, (2,))
        return self._full_log_prob(input, self.head(input))

    def predict(self, input: Tensor) -> Tensor:  # noqa: A002
        """input (N, in_features) → (N,): the likeliest class of each row (``log_prob(input).argmax(1)``)."""
        return self.log_prob(input).argmax(1)

    def extra_repr(self) -> str:
        return ""


__all__ = ["AdaptiveLogSoftmaxWithLoss"]
