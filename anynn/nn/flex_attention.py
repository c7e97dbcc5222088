"""``torch.nn.attention.flex_attention``: attention whose scores a Python function changes (``score_mod``) and whose
allowed query/key pairs another one picks (``mask_mod``, held by a `BlockMask`), computed eagerly.

PyTorch calls the two functions on scalar indices under vmap and, compiled, fuses them into one kernel; anynn calls
each once on broadcast index Tensors (``b`` of shape (B, 1, 1, 1), ``h`` (1, H, 1, 1), ``q_idx`` (1, 1, L, 1),
``kv_idx`` (1, 1, 1, S)), which is the same function of the indices for the functions people write (arithmetic,
comparisons, ``where``, indexing a table by the indices), and differentiable on every backend (PyTorch's eager CPU
path refuses a backward). The scores are materialized, as PyTorch's unfused eager path materializes them; a
`BlockMask`'s block size only describes its blocks, it saves no work here.
"""

from __future__ import annotations

import math
import sys
from typing import Any, Callable, NamedTuple

from ..autograd.tensor import Tensor
from ..backend import dtype_name
from ..factories import arange
from ..functional.tensor_extras import where

ScoreMod = Callable[[Tensor, Tensor, Tensor, Tensor, Tensor], Tensor]
MaskMod = Callable[[Tensor, Tensor, Tensor, Tensor], Tensor]

# PyTorch's switch for debugging score_mod / mask_mod in eager mode: anynn always runs them eagerly
_FLEX_ATTENTION_DISABLE_COMPILE_DEBUG = False


class AuxRequest(NamedTuple):
    """Which extra outputs `flex_attention` returns: ``lse`` (log-sum-exp of each query's scores) and ``max_scores``
    (each query's largest score)."""

    lse: bool = False
    max_scores: bool = False


class AuxOutput(NamedTuple):
    """The extra outputs an `AuxRequest` asked for, each (B, H, L), None where not asked for."""

    lse: Tensor | None = None
    max_scores: Tensor | None = None


def noop_mask(b: Tensor, h: Tensor, q_idx: Tensor, kv_idx: Tensor) -> Tensor:
    """The mask_mod that allows every pair."""
    return (q_idx >= 0) & (kv_idx >= 0)


def and_masks(*mask_mods: MaskMod) -> MaskMod:
    """A mask_mod allowing the pairs every one of ``mask_mods`` allows."""
    def combined(b: Tensor, h: Tensor, q_idx: Tensor, kv_idx: Tensor) -> Tensor:
        result = noop_mask(b, h, q_idx, kv_idx)
        for mask_mod in mask_mods:
            result = result & mask_mod(b, h, q_idx, kv_idx)
        return result
    return combined


def or_masks(*mask_mods: MaskMod) -> MaskMod:
    """A mask_mod allowing the pairs any one of ``mask_mods`` allows."""
    def combined(b: Tensor, h: Tensor, q_idx: Tensor, kv_idx: Tensor) -> Tensor:
        result = ~noop_mask(b, h, q_idx, kv_idx)
        for mask_mod in mask_mods:
            result = result | mask_mod(b, h, q_idx, kv_idx)
        return result
    return combined


def _indices(like: Tensor, sizes: tuple[int, int, int, int]) -> tuple[Tensor, ...]:
    """``b, h, q_idx, kv_idx``: int64 aranges on ``like``'s backend and device, each along its own of four axes."""
    found = []
    for axis, size in enumerate(sizes):
        shape = [1, 1, 1, 1]
        shape[axis] = size
        found.append(arange(size, dtype="int64", backend=like.backend, device=like.device).reshape(shape))
    return tuple(found)


class BlockMask:
    """The pairs a ``mask_mod`` allows for sequences of ``seq_lengths = (Q_LEN, KV_LEN)``, batch ``B`` and heads
    ``H`` (1 for None: the same mask for each), as `create_block_mask` makes it.

    ``shape`` is (B, H, Q_LEN, KV_LEN) and ``BLOCK_SIZE`` PyTorch's tile size (kept for programs that read it; anynn
    evaluates ``mask_mod`` on every pair, so no tile is skipped).
    """

    def __init__(self, mask_mod: MaskMod, shape: tuple[int, int, int, int], block_size: tuple[int, int],
                 backend: Any = None, device: Any = None) -> None:
        self.mask_mod = mask_mod
        self.shape = shape
        self.seq_lengths = shape[2:]
        self.BLOCK_SIZE = block_size
        self.backend, self.device = backend, device

    def to(self, device: Any) -> BlockMask:
        """The same mask (its indices are made on the attention's own backend and device when it is used)."""
        return BlockMask(self.mask_mod, self.shape, self.BLOCK_SIZE, self.backend, device)

    def dense(self, like: Tensor, batch: int, heads: int) -> Tensor:
        """The allowed pairs as a bool Tensor broadcastable to (batch, heads, Q_LEN, KV_LEN)."""
        b, h, q_idx, kv_idx = _indices(like, (batch, heads) + tuple(self.seq_lengths))
        return _as_bool(self.mask_mod(b, h, q_idx, kv_idx), "mask_mod")

    def __repr__(self) -> str:
        return f"BlockMask(shape={self.shape}, BLOCK_SIZE={self.BLOCK_SIZE}, mask_mod={self.mask_mod.__name__})"


def _as_bool(mask: Any, where_from: str) -> Tensor:
    if not isinstance(mask, Tensor) or dtype_name(mask.array.dtype) != "bool":
        kind = f"a {dtype_name(mask.array.dtype)} Tensor" if isinstance(mask, Tensor) else type(mask).__name__
        raise TypeError(f"flex_attention: {where_from} must return a bool Tensor (True where the query may attend "
                        f"to the key), got {kind}")
    return mask


def _block_size(BLOCK_SIZE: int | tuple[int, int]) -> tuple[int, int]:
    return (BLOCK_SIZE, BLOCK_SIZE) if isinstance(BLOCK_SIZE, int) else (int(BLOCK_SIZE[0]), int(BLOCK_SIZE[1]))


def create_block_mask(mask_mod: MaskMod, B: int | None, H: int | None, Q_LEN: int, KV_LEN: int, device: Any = None,
                      BLOCK_SIZE: int | tuple[int, int] = 128, _compile: bool = False, **options: Any) -> BlockMask:
    """A `BlockMask` of ``mask_mod(b, h, q_idx, kv_idx) -> bool`` for (B, H, Q_LEN, KV_LEN); B or H None is 1, the
    same mask for every batch entry or head. ``device`` and PyTorch's kernel options are taken and not needed."""
    shape = (1 if B is None else int(B), 1 if H is None else int(H), int(Q_LEN), int(KV_LEN))
    return BlockMask(mask_mod, shape, _block_size(BLOCK_SIZE), device=device)


def create_mask(mod_fn: Callable[..., Tensor], B: int | None, H: int | None, Q_LEN: int, KV_LEN: int,
                device: Any = None, *, backend: Any = None) -> Tensor:
    """The dense (B, H, Q_LEN, KV_LEN) bool mask of a mask_mod (four arguments), or of a score_mod (five: True where
    it leaves a zero score finite), on ``backend`` (anynn's keyword; the default backend by default)."""
    from ..factories import zeros

    shape = (1 if B is None else int(B), 1 if H is None else int(H), int(Q_LEN), int(KV_LEN))
    scores = zeros(shape, backend=backend)
    b, h, q_idx, kv_idx = _indices(scores, shape)
    if _takes_score(mod_fn):
        return (mod_fn(scores, b, h, q_idx, kv_idx) > -math.inf).expand(shape).contiguous()
    return _as_bool(mod_fn(b, h, q_idx, kv_idx), "mask_mod").expand(shape).contiguous()


def _takes_score(mod_fn: Callable[..., Any]) -> bool:
    import inspect

    try:
        return len(inspect.signature(mod_fn).parameters) == 5
    except (TypeError, ValueError):
        return False


def _check(query: Tensor, key: Tensor, value: Tensor, enable_gqa: bool) -> tuple[Tensor, Tensor]:
    """key and value with the query's heads (repeated under ``enable_gqa``), after PyTorch's shape checks."""
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"flex_attention: {name} must be an anynn Tensor, got {type(t).__name__}")
        if t.ndim != 4:
            raise NotImplementedError(f"flex_attention: query, key and value must be 4-D (B, H, L, E), got {name} "
                                      f"of shape {tuple(t.shape)}")
    qs, ks, vs = tuple(query.shape), tuple(key.shape), tuple(value.shape)
    if ks[1] != vs[1] or ks[2] != vs[2] or ks[0] != vs[0]:
        raise ValueError(f"flex_attention: key {ks} and value {vs} must agree in batch, heads and length")
    if qs[0] != ks[0] or qs[3] != ks[3]:
        raise ValueError(f"flex_attention: query {qs} and key {ks} must agree in batch and embedding size")
    if qs[1] != ks[1]:
        if not enable_gqa:
            raise ValueError(f"flex_attention: expect query and key/value to have the same number of heads but got "
                             f"Hq={qs[1]} and Hkv={ks[1]}; set enable_gqa=True for grouped-query attention")
        if qs[1] % ks[1]:
            raise ValueError(f"flex_attention: with enable_gqa the query heads ({qs[1]}) must be a multiple of the "
                             f"key/value heads ({ks[1]})")
        groups = qs[1] // ks[1]
        key, value = key.repeat_interleave(groups, dim=1), value.repeat_interleave(groups, dim=1)
    return key, value


def flex_attention(query: Tensor, key: Tensor, value: Tensor, score_mod: ScoreMod | None = None,
                   block_mask: BlockMask | None = None, scale: float | None = None, enable_gqa: bool = False,
                   return_lse: bool = False, kernel_options: Any = None, *,
                   return_aux: AuxRequest | None = None) -> Any:
    """``softmax(score_mod(query @ key.mT * scale) where block_mask allows, else -inf) @ value``.

    Parameters
    ----------
    query : Tensor (B, Hq, L, E)
    key : Tensor (B, Hkv, S, E)
    value : Tensor (B, Hkv, S, Ev)
        Hkv equals Hq, or divides it with ``enable_gqa`` (each key/value head serves Hq / Hkv query heads in a row).
    score_mod : callable, optional
        ``score_mod(score, b, h, q_idx, kv_idx)``: the new score (gradients flow through it and through any Tensor
        it reads, a learned bias table say); called once with the scores (B, Hq, L, S) and broadcast indices.
    block_mask : BlockMask, optional
        From `create_block_mask` for (L, S); its ``mask_mod(b, h, q_idx, kv_idx)`` marks the pairs that take part.
    scale : float, optional
        Multiplies the scores before ``score_mod``; default ``1 / sqrt(E)``.
    return_lse, return_aux : optional
        Also return the log-sum-exp of each query's scores (B, Hq, L) (``return_lse``, deprecated by PyTorch), or
        ``AuxOutput(lse, max_scores)`` for ``return_aux=AuxRequest(...)``.

    Returns
    -------
    Tensor (B, Hq, L, Ev), or ``(out, lse)`` / ``(out, AuxOutput)``. A query with no allowed key (or only ``-inf``
    scores) gets a zero row, its lse and max score ``-inf``, as PyTorch's.
    """
    key, value = _check(query, key, value, enable_gqa)
    batch, heads, length, _ = query.shape
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1])
    scores = (query @ key.transpose(-2, -1)) * scale
    indices = _indices(query, (batch, heads, length, key.shape[2]))
    if score_mod is not None:
        scores = score_mod(scores, *indices)
        if not isinstance(scores, Tensor):
            raise TypeError(f"flex_attention: score_mod must return a Tensor, got {type(scores).__name__}")
    if block_mask is not None:
        if tuple(block_mask.seq_lengths) != (length, key.shape[2]):
            raise ValueError(f"flex_attention: block_mask was created for block_mask.shape={block_mask.shape} but got "
                             f"q_len={length} and kv_len={key.shape[2]}; create it for the lengths it is used with")
        scores = where(_as_bool(block_mask.mask_mod(*indices), "mask_mod"), scores, -math.inf)
    top = scores.amax(dim=-1, keepdim=True).detach()
    finite_top = where(top > -math.inf, top, 0.0)
    weights = (scores - finite_top).exp()
    total = weights.sum(dim=-1, keepdim=True)
    out = (weights / where(total > 0, total, 1.0)) @ value
    if return_aux is None and not return_lse:
        return out
    lse = (total.log() + finite_top).squeeze(-1)
    if return_aux is None:
        return out, lse
    return out, AuxOutput(lse if return_aux.lse else None, top.squeeze(-1) if return_aux.max_scores else None)


def install(attention_module: Any) -> None:
    """This module as ``<attention>.flex_attention``, PyTorch's path (``from torch.nn.attention.flex_attention import
    flex_attention, create_block_mask``): an attribute and an entry of ``sys.modules``."""
    module = sys.modules[__name__]
    attention_module.flex_attention = module
    sys.modules[f"{attention_module.__name__}.flex_attention"] = module
