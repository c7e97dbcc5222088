"""``torch.nn.attention.varlen``: attention over packed sequences of different lengths (`varlen_attn`,
`varlen_attn_out`, `AuxRequest`), computed eagerly on any backend.

The sequences lie one after the other along the token axis, their bounds in ``cu_seq_q`` / ``cu_seq_k`` (N + 1
offsets); a query attends only to the keys of its own sequence. PyTorch runs this in a FlashAttention kernel (CUDA
only: its CPU build raises NotImplementedError); anynn reads the offsets on the host, builds the (T_q, T_k) pairs
allowed and computes the attention with the scores materialized, so memory grows with T_q * T_k. It is
differentiable on every backend.
"""

from __future__ import annotations

import math
import sys
from typing import Any, NamedTuple

from ..autograd.tensor import Tensor
from ..backend import dtype_name
from ..functional.tensor_extras import where

_HALF = ("float16", "bfloat16")


class AuxRequest(NamedTuple):
    """Which extra outputs `varlen_attn` returns: ``lse``, the log-sum-exp of each query's scores (H_q, T_q)."""

    lse: bool = False


def _host_ints(t: Any, name: str) -> list[int]:
    """The values of a 1-D int32 offsets Tensor (``cu_seq_q``, ``cu_seq_k``, ``seqused_k``) on the host."""
    if not isinstance(t, Tensor) or t.ndim != 1 or dtype_name(t.array.dtype) != "int32":
        given = (f"a Tensor of dtype {dtype_name(t.array.dtype)} and shape {tuple(t.shape)}" if isinstance(t, Tensor)
                 else type(t).__name__)
        raise RuntimeError(f"varlen_attn: {name} must be a 1-D int32 Tensor, got {given}")
    return [int(v) for v in t.tolist()]


def _check_heads(query: Tensor, key: Tensor, value: Tensor, enable_gqa: bool, paged: bool) -> None:
    """PyTorch's head-count checks (ValueError), after the layout checks: query (T_q, H_q, D), key and value
    (T_k, H_kv, D), or (pages, page_size, H_kv, D) with a ``block_table``."""
    want = 4 if paged else 3
    for name, t, ndim in (("query", query, 3), ("key", key, want), ("value", value, want)):
        if not isinstance(t, Tensor):
            raise TypeError(f"varlen_attn: {name} must be an anynn Tensor, got {type(t).__name__}")
        if t.ndim != ndim:
            raise RuntimeError(f"varlen_attn: {name} must be {ndim}-D, got shape {tuple(t.shape)}")
    heads_q, heads_k = query.shape[1], key.shape[-2]
    if not enable_gqa and heads_q != heads_k:
        raise ValueError(f"Expect query and key/value to have the same number of heads but got Hq={heads_q} and "
                         f"Hkv={heads_k}. Try setting enable_gqa=True for GQA.")
    if enable_gqa and heads_q % heads_k != 0:
        raise ValueError(f"Expect number of query heads to be a multiple of kv heads for GQA but got Hq={heads_q} "
                         f"and Hkv={heads_k}.")


def _unpage(key: Tensor, value: Tensor, block_table: Tensor, used: list[int]) -> tuple[Tensor, Tensor, list[int]]:
    """Paged key/value pools (pages, page_size, H, D) gathered into packed (T_k, H, D) tensors, sequence i taking
    the first ``used[i]`` tokens of the pages in row i of ``block_table``; with the offsets of the packing."""
    page_size = key.shape[1]
    tokens: list[int] = []
    for row, n in zip(block_table.reshape(len(used), -1).tolist(), used):
        tokens += [page * page_size + t for page in row for t in range(page_size)][:n]
    index = key.new_tensor(tokens, dtype="int64")
    flat_k = key.reshape(-1, key.shape[2], key.shape[3])
    flat_v = value.reshape(-1, value.shape[2], value.shape[3])
    return flat_k[index], flat_v[index], [sum(used[:i]) for i in range(len(used) + 1)]


def _places(cu: list[int], total: int, lengths: list[int]) -> tuple[list[int], list[int]]:
    """For each of ``total`` packed tokens its sequence (-1 outside every one) and its place in it, sequence i
    holding ``lengths[i]`` tokens from ``cu[i]``."""
    sequence, place = [-1] * total, [0] * total
    for i, (start, n) in enumerate(zip(cu, lengths)):
        sequence[start:start + n] = [i] * n
        place[start:start + n] = range(n)
    return sequence, place


def _allowed(like: Tensor, cu_q: list[int], cu_k: list[int], used: list[int] | None, shape: tuple[int, int],
             window: tuple[int, int]) -> Tensor:
    """(T_q, T_k) bool on ``like``'s backend: query t may see key s when both lie in sequence i and s's place in it
    is within ``window = (left, right)`` of the diagonal (aligned at the sequences' ends, as FlashAttention; -1: no
    limit)."""
    count = len(cu_q) - 1
    len_q = [cu_q[i + 1] - cu_q[i] for i in range(count)]
    len_k = used if used is not None else [cu_k[i + 1] - cu_k[i] for i in range(count)]
    seq_q, place_q = _places(cu_q, shape[0], len_q)
    seq_k, place_k = _places(cu_k, shape[1], len_k)
    diagonal = [p + len_k[i] - len_q[i] if i >= 0 else 0 for i, p in zip(seq_q, place_q)]
    seq_q_t, seq_k_t = like.new_tensor(seq_q, dtype="int64")[:, None], like.new_tensor(seq_k, dtype="int64")[None]
    diagonal_t, place_t = like.new_tensor(diagonal, dtype="int64")[:, None], like.new_tensor(place_k, dtype="int64")
    allowed = (seq_q_t == seq_k_t) & (seq_q_t >= 0)
    left, right = window
    if right >= 0:
        allowed = allowed & (place_t[None] <= diagonal_t + right)
    if left >= 0:
        allowed = allowed & (place_t[None] >= diagonal_t - left)
    return allowed


def _attend(query: Tensor, key: Tensor, value: Tensor, allowed: Tensor, scale: float) -> tuple[Tensor, Tensor]:
    """Masked softmax attention of (T_q, H, D) queries over (T_k, H, D) keys: the output (T_q, H, D) and the lse
    (H, T_q). A query with no allowed key gets a zero row and an lse of +inf, as FlashAttention's."""
    scores = (query.transpose(0, 1) @ key.permute(1, 2, 0)) * scale
    scores = where(allowed, scores, -math.inf)
    top = scores.amax(dim=-1, keepdim=True).detach()
    finite_top = where(top > -math.inf, top, 0.0)
    weights = (scores - finite_top).exp()
    total = weights.sum(dim=-1, keepdim=True)
    some = total > 0
    safe_total = where(some, total, 1.0)
    out = (weights / safe_total) @ value.transpose(0, 1)
    lse = where(some, safe_total.log() + finite_top, math.inf).squeeze(-1)
    return out.transpose(0, 1), lse


def varlen_attn(query: Tensor, key: Tensor, value: Tensor, cu_seq_q: Tensor, cu_seq_k: Tensor | None, max_q: int,
                max_k: int, *, return_aux: AuxRequest | None = None, scale: float | None = None,
                window_size: tuple[int, int] = (-1, -1), enable_gqa: bool = False, seqused_k: Tensor | None = None,
                block_table: Tensor | None = None, num_splits: int | None = None) -> Any:
    """Attention of packed sequences, each query over the keys of its own sequence.

    Parameters
    ----------
    query : Tensor (T_q, H_q, D)
    key, value : Tensor (T_k, H_kv, D), or (pages, page_size, H_kv, D) with ``block_table``
        H_kv equals H_q, or divides it with ``enable_gqa`` (each key/value head serves H_q / H_kv query heads).
    cu_seq_q, cu_seq_k : int32 Tensor (N + 1,)
        Where each sequence starts in the packed tokens, then the total (``cu_seq_k`` may be None with a
        ``block_table``).
    max_q, max_k : int
        The longest sequences (FlashAttention's grid; anynn reads the offsets instead).
    return_aux : AuxRequest, optional
        ``AuxRequest(lse=True)`` also returns the log-sum-exp of each query's scores, float32 (H_q, T_q).
    scale : float, optional
        Multiplies the scores; default ``1 / sqrt(D)``.
    window_size : (left, right)
        Keys within ``left`` places before and ``right`` after the query's (-1: unlimited); ``(-1, 0)`` is causal,
        aligned at the sequences' ends when a sequence has more keys than queries.
    seqused_k : int32 Tensor (N,), optional
        Only the first ``seqused_k[i]`` keys of sequence i take part (inference only).
    block_table : int32 Tensor (N, pages_per_sequence), optional
        The pages of ``key`` / ``value`` each sequence reads, in order (a paged KV cache; needs ``seqused_k``).
    num_splits : int, optional
        FlashAttention's split of the keys; anynn's result does not depend on the other sequences anyway.

    Returns
    -------
    Tensor (T_q, H_q, D) in the query's dtype, or ``(out, lse)``. Half-precision inputs are computed in float32.
    """
    paged = block_table is not None
    _check_heads(query, key, value, enable_gqa, paged)
    left, right = (int(w) for w in window_size)
    cu_q = _host_ints(cu_seq_q, "cu_seq_q")
    used = _host_ints(seqused_k, "seqused_k") if seqused_k is not None else None
    if block_table is not None:
        if used is None:
            raise RuntimeError("varlen_attn: a block_table needs seqused_k (how many tokens each sequence holds)")
        key, value, cu_k = _unpage(key, value, block_table, used)
    else:
        cu_k = _host_ints(cu_seq_k, "cu_seq_k")
    if (seqused_k is not None or paged) and query.requires_grad:
        raise RuntimeError("varlen_attn: seqused_k and block_table are inference-only parameters")
    if len(cu_q) != len(cu_k):
        raise RuntimeError(f"varlen_attn: cu_seq_q and cu_seq_k must hold the same number of offsets, got "
                           f"{len(cu_q)} and {len(cu_k)}")
    dtype = dtype_name(query.array.dtype)
    work = [t.float() if dtype in _HALF else t for t in (query, key, value)]
    if key.shape[1] != query.shape[1]:
        groups = query.shape[1] // key.shape[1]
        work[1], work[2] = (t.repeat_interleave(groups, dim=1) for t in work[1:])
    mask = _allowed(query, cu_q, cu_k, used, (query.shape[0], key.shape[0]), (left, right))
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else float(scale)
    out, lse = _attend(work[0], work[1], work[2], mask, scale)
    out = out.to(query.dtype) if dtype in _HALF else out
    if return_aux is not None and return_aux.lse:
        return out, lse.float()
    return out


def varlen_attn_out(out: Tensor, query: Tensor, key: Tensor, value: Tensor, cu_seq_q: Tensor,
                    cu_seq_k: Tensor | None, max_q: int, max_k: int, *, return_aux: AuxRequest | None = None,
                    scale: float | None = None, window_size: tuple[int, int] = (-1, -1), enable_gqa: bool = False,
                    seqused_k: Tensor | None = None, block_table: Tensor | None = None,
                    num_splits: int | None = None) -> Any:
    """`varlen_attn` written into ``out`` (T_q, H_q, D); returns ``out``, or ``(out, lse)``."""
    found = varlen_attn(query, key, value, cu_seq_q, cu_seq_k, max_q, max_k, return_aux=AuxRequest(lse=True),
                        scale=scale, window_size=window_size, enable_gqa=enable_gqa, seqused_k=seqused_k,
                        block_table=block_table, num_splits=num_splits)
    out.copy_(found[0])
    if return_aux is not None and return_aux.lse:
        return out, found[1]
    return out


def install(attention_module: Any) -> None:
    """This module as ``<attention>.varlen``, PyTorch's path (``from torch.nn.attention.varlen import
    varlen_attn``): an attribute and an entry of ``sys.modules``."""
    module = sys.modules[__name__]
    attention_module.varlen = module
    sys.modules[f"{attention_module.__name__}.varlen"] = module


__all__ = ["AuxRequest", "varlen_attn", "varlen_attn_out"]
