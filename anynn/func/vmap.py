"""``vmap``: map a function over a dimension of its inputs (PyTorch's ``torch.func.vmap``), by running it once per
slice and stacking the results.

This is not vectorised: ``func`` runs ``B`` times on the slices (Tensors with the mapped dimension removed), so
it costs ``B`` calls, and any Python code in ``func`` runs per slice (a ``.item()`` or a data-dependent ``if``
works, unlike in PyTorch). What it keeps of PyTorch's semantics: ``in_dims`` as an int, ``None`` (not mapped)
or a container matching the arguments (nested to any depth, a leaf applying to a whole subtree); ``out_dims``
likewise for the outputs, negative dims counted from the end of the stacked result; keyword arguments are passed
unmapped; ``randomness`` (``"error"`` refuses a draw from anynn's default generator, ``"different"`` draws anew
per slice, ``"same"`` replays the same draws for every slice, see `anynn.func.randomness`); ``chunk_size`` is
accepted. It composes with the derivative transforms and with ``backward``: the slices and the stack are graph
operations, so ``vmap(grad(f))`` gives per-sample gradients and ``grad`` of a vmapped function works. An
``autograd.grad`` through a graph made outside (``vmap(lambda v: autograd.grad(y, x, v))(basis)``, PyTorch's one
batched backward) keeps that graph for the slices after it, so each slice's call finds it.

Differences: a mapped dimension of size 0 is refused (there is no slice to learn the output from); an output
with ``out_dims=None`` is the first slice's, not checked to be the same for every slice; an in-place write into
an argument that is not mapped over is refused (PyTorch refuses a batched value there and writes an unbatched one
once; one call per slice would repeat it).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from ..autograd.grad_api import graphs_kept
from ..autograd.tensor import Tensor
from ..autograd.transform_levels import transform_level
from .pytree import broadcast_prefix, flatten, unflatten
from .randomness import RandomnessGuard


class OutDimError(ValueError, IndexError):
    """An ``out_dims`` past an output's rank: PyTorch's IndexError ('Dimension out of range'), a ValueError here."""


def _check_dims(dims: Any, what: str) -> None:
    leaves, _ = flatten(dims)
    for d in leaves:
        if d is not None and (not isinstance(d, int) or isinstance(d, bool)):
            raise ValueError(f"vmap: {what} must be an int, None or a container of them, got {dims!r}")


def vmap(func: Callable[..., Any], in_dims: Any = 0, out_dims: Any = 0, randomness: str = "error", *,
         chunk_size: int | None = None) -> Callable[..., Any]:
    """``func`` mapped over dimension ``in_dims`` of its positional arguments; outputs stacked along ``out_dims``.

    Parameters
    ----------
    func : callable
        Takes the slices (the mapped dimension removed) and returns a Tensor or a container of Tensors.
    in_dims : int, None, or a tuple with one entry per positional argument (each an int, None or a container)
        Which dimension of each argument is mapped; ``None``: passed whole to every call.
    out_dims : int, None, or a container matching the output
        Where the mapped dimension goes in each output.
    randomness : {"error", "different", "same"}
        What a random draw inside ``func`` does.
    chunk_size : int, optional
        Accepted for PyTorch's signature (slices already run one at a time).
    """
    RandomnessGuard(randomness, "vmap")
    _check_dims(in_dims, "in_dims")
    _check_dims(out_dims, "out_dims")
    if not (in_dims is None or isinstance(in_dims, (int, tuple))):
        raise ValueError(f"vmap: in_dims must be an int, None or a tuple, got {type(in_dims).__name__}")
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(f"vmap: chunk_size should be None or a positive int, got {chunk_size!r}")

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if isinstance(in_dims, tuple) and len(in_dims) != len(args):
            raise ValueError(f"vmap(f, in_dims={in_dims!r})(<inputs>): in_dims is not compatible with the structure "
                             f"of `inputs`: {len(in_dims)} entries for {len(args)} positional arguments")
        leaves, spec = flatten(args)
        dims = broadcast_prefix(in_dims if isinstance(in_dims, tuple) else tuple(in_dims for _ in args), args,
                                "vmap: in_dims")
        batch, slices = _slices(leaves, dims)
        guard = RandomnessGuard(randomness, "vmap")
        unmapped = [x for x, s in zip(leaves, slices) if s is None and isinstance(x, Tensor)]
        outputs = []
        for i in range(batch):
            call_args = unflatten(spec, [x if s is None else s[i] for x, s in zip(leaves, slices)])
            kept = graphs_kept() if i < batch - 1 else contextlib.nullcontext()  # one backward in PyTorch's
            versions = [x._version for x in unmapped]
            with guard.watch(), kept, transform_level(vmap=True):
                outputs.append(func(*call_args, **kwargs))
            _refuse_writes(unmapped, versions)
        return _stack(outputs, out_dims)

    return wrapped


def _refuse_writes(unmapped: list[Tensor], versions: list[int]) -> None:
    """An in-place write into an argument that is not mapped over: PyTorch refuses a batched value there and writes
    an unbatched one once, where a call per slice would write it once per slice (a silently different tensor)."""
    for x, version in zip(unmapped, versions):
        if x._version != version:
            raise RuntimeError(f"vmap: func changed in place a Tensor argument that is not mapped over (in_dims "
                               f"None, shape {tuple(x.shape)}); anynn's vmap calls func once per slice, so the "
                               "write would be repeated for each (PyTorch refuses a batched value there: 'output "
                               "with shape ... doesn't match the broadcast shape'). Map over it, or write outside "
                               "vmap")


def _slices(leaves: list[Any], dims: list[Any]) -> tuple[int, list[Any]]:
    sizes = []
    slices: list[Any] = []
    for x, d in zip(leaves, dims):
        if d is None:
            slices.append(None)
            continue
        if not isinstance(x, Tensor):
            raise ValueError(f"vmap: Got in_dim={d} for an input but the input is of type {type(x).__name__}. We "
                             "cannot vmap over non-Tensor arguments, please use None as the respective in_dim")
        if not -x.ndim <= d < max(x.ndim, 1) or x.ndim == 0:
            raise ValueError(f"vmap: Got in_dim={d} for some input, but that input is a Tensor of dimensionality "
                             f"{x.ndim} so expected in_dim to satisfy -{x.ndim} <= in_dim < {x.ndim}")
        sizes.append(x.shape[d])
        slices.append(x.unbind(d))
    if not sizes:
        raise ValueError("vmap(f, in_dims=...)(<inputs>): at least one input must be mapped over (got in_dims all "
                         "None, or no Tensor inputs)")
    if len(set(sizes)) != 1:
        raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                         f"{sizes} for the mapped dimension")
    if sizes[0] == 0:
        raise ValueError("vmap: the mapped dimension has size 0; anynn's vmap runs func once per slice and cannot "
                         "learn the output's shape without one")
    return sizes[0], slices


def _stack(outputs: list[Any], out_dims: Any) -> Any:
    from ..functional.shape import stack

    first, spec = flatten(outputs[0])
    columns: list[list[Any]] = [[] for _ in first]
    for out in outputs:
        leaves, other = flatten(out)
        if other != spec:
            raise ValueError("vmap: func returned outputs of different structures for different slices")
        for column, leaf in zip(columns, leaves):
            if not isinstance(leaf, Tensor):
                raise ValueError(f"vmap: `func` must only return Tensors, got type {type(leaf).__name__}")
            column.append(leaf)
    if isinstance(outputs[0], Tensor) and isinstance(out_dims, tuple) and len(out_dims) == 1:
        out_dims = out_dims[0]  # PyTorch reads out_dims=(d,) for a single Tensor output as d
    dims = broadcast_prefix(out_dims, outputs[0], "vmap: out_dims")
    stacked = []
    for column, d in zip(columns, dims):
        if d is None:
            stacked.append(column[0])
            continue
        rank = column[0].ndim + 1
        if not -rank <= d < rank:
            raise OutDimError(f"vmap: out_dims={d} is out of range for an output of dimensionality {rank}")
        stacked.append(stack(column, axis=d % rank))
    return unflatten(spec, stacked)


__all__ = ["vmap"]
