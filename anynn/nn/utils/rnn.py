"""``anynn.nn.utils.rnn``: variable-length sequences, padded (`pad_sequence`) or packed (`PackedSequence`).

A packed batch holds only the real steps of each sequence: ``data`` (sum of lengths, *) lists, time step by
time step, the rows of the sequences still running at that step, longest sequence first; ``batch_sizes[t]``
is how many run at step ``t``. `RNN`, `LSTM` and `GRU` take one and return one, with each sequence's final
state taken at its own last step (see `anynn.nn.recurrent_packed`).
"""

from __future__ import annotations

import numbers
from typing import Any, NamedTuple, Sequence

from ...autograd.tensor import Tensor
from ...backend.devices import device_of as device
from ...backend.symbolic import SymInt
from ...factories import tensor as _tensor
from ...functional.elementwise import where
from ...functional.padding import pad
from ...functional.recurrent_masked import active_steps
from ...functional.shape import concat, permute, reshape, stack, take_rows
from ...functional.value_checks import InvalidValueError, ShapeMismatchError


def pad_sequence(sequences: Sequence[Tensor], batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack tensors of shapes ``(L_i, *)`` into ``(L_max, B, *)`` (``(B, L_max, *)`` with ``batch_first``).

    Shorter sequences are filled with ``padding_value`` after their end (before it with
    ``padding_side="left"``). Differentiable in every input.
    """
    if padding_side not in ("left", "right"):
        raise ValueError(f"pad_sequence: padding_side must be 'left' or 'right', got {padding_side!r}")
    sequences = list(sequences)
    if not sequences:
        raise InvalidValueError("pad_sequence: received an empty list of sequences")  # PyTorch: RuntimeError
    trailing = tuple(sequences[0].shape[1:])
    for i, s in enumerate(sequences):
        if s.ndim == 0:
            raise ValueError(f"pad_sequence: sequence {i} has shape (); each needs at least one dimension (its length)")
        if tuple(s.shape[1:]) != trailing:
            raise ShapeMismatchError(f"pad_sequence: sequence {i} has shape {tuple(s.shape)}; every sequence needs the "
                                     f"first one's trailing shape {trailing} after its length")
    longest = max(int(s.shape[0]) for s in sequences)
    padded = []
    for s in sequences:
        missing = longest - int(s.shape[0])
        if missing:
            widths = [0, 0] * (s.ndim - 1) + ([missing, 0] if padding_side == "left" else [0, missing])
            s = pad(s, widths, value=padding_value)
        padded.append(s)
    return stack(padded, axis=0 if batch_first else 1)


class PackedSequence(NamedTuple):
    """A packed batch of variable-length sequences (PyTorch's namedtuple of four fields).

    data : (sum of lengths, *), the rows of step 0 of every sequence, then of step 1, ...
    batch_sizes : (L_max,) int64 on the host, sequences still running at each step
    sorted_indices : (B,) int64 or None; position ``i`` of the packed (longest-first) batch is sequence
        ``sorted_indices[i]`` of the original batch (None: the batch was already sorted)
    unsorted_indices : (B,) int64 or None, the inverse permutation
    """

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    @property
    def is_cuda(self) -> bool:
        return self.data.is_cuda

    def to(self, *args: Any, **kwargs: Any) -> "PackedSequence":
        """``data`` moved or cast as `Tensor.to`; the indices follow data's backend (batch_sizes stays on the host)."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return PackedSequence(data, self.batch_sizes, *(None if i is None else i.to(data.backend)
                                                        for i in (self.sorted_indices, self.unsorted_indices)))


class RecordedLengthsPack(PackedSequence):
    """What `pack_padded_sequence` gives for lengths whose values exist only when a graph runs (an ONNX export's
    input, a compiled step's traced tensor): the batch stays padded, ``data`` the time-major (L, B, *) input, and
    ``lengths`` (B,) int64 rides beside it (``batch_sizes`` and the indices are None: their values are those of
    the lengths). A recurrent layer runs it masked (`anynn.functional.recurrent_masked`), `pad_packed_sequence`
    undoes it; the values are those of the packed batch, as PyTorch's exporter writes packed sequences."""

    lengths: Tensor


def recorded_pack(x: Tensor, lengths: Tensor) -> RecordedLengthsPack:
    """A `RecordedLengthsPack` of the time-major ``x`` (L, B, *) and its ``lengths`` (B,) int64."""
    pack = RecordedLengthsPack(x, None, None, None)  # type: ignore[arg-type]
    pack.lengths = lengths
    return pack


def _int64(values: Any, like: Tensor, host: bool = False) -> Tensor:
    """An int64 Tensor of ``values`` on ``like``'s backend (on the host device with ``host``).

    The tensor keeps its values as Python ints beside it (`_ints_of` reads them while it is unchanged): inside a
    compiled step on JAX every array made is a tracer, whose values do not exist until the step has run, and the
    packed layout (batch_sizes, the sorting permutation) is read back on the host.
    """
    ints = tuple(int(v) for v in values)
    out = _tensor(list(ints), backend=like.backend, dtype="int64", device="cpu" if host else None)
    out.__dict__["_host_ints"] = (out._version, ints)  # (an attribute programs may hang on a tensor)
    return out


def _known_ints(values: Tensor) -> list[int] | None:
    """The ints `_int64` made ``values`` from, while no in-place change followed; None for any other tensor."""
    known = getattr(values, "_host_ints", None)
    return list(known[1]) if known is not None and known[0] == values._version else None


def _ints_of(values: Tensor) -> list[int]:
    """The values of a 1-D integer tensor as Python ints (`_known_ints`, else read back from the array)."""
    known = _known_ints(values)
    return known if known is not None else [int(v) for v in values.tolist()]


def _host_ints(name: str, lengths: Any) -> list[int]:
    """``lengths`` (a list, a NumPy array or a 1-D host Tensor) as Python ints, truncated as PyTorch's cast."""
    if isinstance(lengths, Tensor):
        if lengths.ndim != 1 or not lengths.is_cpu:
            raise RuntimeError(f"{name}: 'lengths' argument should be a 1D CPU int64 tensor, but got "
                               f"{lengths.ndim}D {lengths.device} {lengths.dtype} tensor")
        known = _known_ints(lengths)  # pad_packed_sequence's lengths, also inside a compiled step
        if known is not None:
            return known
        if lengths.backend.is_traced(lengths.array):
            raise NotImplementedError(
                f"{name}: 'lengths' is a recorded or traced tensor (an ONNX export's input, a compiled step's "
                f"argument, or computed from one): "
                f"the packed layout is built from its values, which the graph has only when it runs. Run the "
                f"recurrent layer on the padded batch (masking its padded steps after it), or give lengths as a list "
                f"of ints (fixed in the graph)")
        return [int(v) for v in lengths.tolist()]
    values = lengths.tolist() if hasattr(lengths, "tolist") else list(lengths)  # a NumPy array, a list, a range
    if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values):
        raise RuntimeError(f"{name}: 'lengths' must be a 1-D sequence of integers, got {lengths!r}")
    return [int(v) for v in values]


def _invert(order: list[int]) -> list[int]:
    inverse = [0] * len(order)
    for position, i in enumerate(order):
        inverse[i] = position
    return inverse


def _checked_sizes(name: str, sizes: list[int]) -> list[int]:
    if not sizes or any(b <= 0 for b in sizes) or any(a < b for a, b in zip(sizes, sizes[1:])):
        raise ValueError(f"{name}: batch_sizes must be positive and non-increasing, got {sizes}")
    return sizes


def batch_sizes_of(packed: PackedSequence) -> list[int]:
    """``packed.batch_sizes`` as Python ints (checked: positive, non-increasing)."""
    if not isinstance(packed.batch_sizes, Tensor):
        return _checked_sizes("PackedSequence", [int(b) for b in packed.batch_sizes])
    return _checked_sizes("PackedSequence", _ints_of(packed.batch_sizes))


def sorted_order(packed: PackedSequence) -> list[int] | None:
    """``packed.sorted_indices`` as ints (the inverse of ``unsorted_indices`` when only that is set), or None."""
    if packed.sorted_indices is not None:
        return _ints_of(packed.sorted_indices)
    if packed.unsorted_indices is not None:
        return _invert(_ints_of(packed.unsorted_indices))
    return None


def pack_padded_sequence(input: Tensor, lengths: Any, batch_first: bool = False,  # noqa: A002 - PyTorch's name
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch ``(L, B, *)`` (``(B, L, *)`` with ``batch_first``) whose sequence ``b`` has
    ``lengths[b]`` real steps.

    ``lengths``: a list or a 1-D host int Tensor; with ``enforce_sorted`` it must be non-increasing
    (otherwise the batch is sorted here and the permutation kept in the result). Differentiable in ``input``
    (padded positions get zero gradient).
    """
    name = "pack_padded_sequence"
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: expected an anynn Tensor input, got {type(input).__name__}")
    if input.ndim < 2:
        raise ValueError(f"{name}: expected input of at least 2 dimensions (time and batch), got shape "
                         f"{tuple(input.shape)}")
    x = permute(input, (1, 0) + tuple(range(2, input.ndim))) if batch_first else input
    if isinstance(lengths, Tensor) and lengths.ndim == 1 and _known_ints(lengths) is None and \
            lengths.backend.is_traced(lengths.array):
        return recorded_pack(x, lengths.to(dtype="int64"))
    sizes = _host_ints(name, lengths)
    steps, batch = int(x.shape[0]), int(x.shape[1])
    if len(sizes) != batch:
        raise ShapeMismatchError(f"{name}: Expected `len(lengths)` to be equal to batch_size, but got {len(sizes)} "
                                 f"(batch_size={batch})")
    sorted_indices = unsorted_indices = None
    order = list(range(batch))
    if enforce_sorted:
        if any(a < b for a, b in zip(sizes, sizes[1:])):
            raise RuntimeError(f"{name}: `lengths` array must be sorted in decreasing order when `enforce_sorted` "
                               "is True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                               "pack_sequence to sidestep this requirement if you do not need ONNX exportability.")
    else:
        order = sorted(range(batch), key=lambda i: -sizes[i])
        sorted_indices, unsorted_indices = _int64(order, input), _int64(_invert(order), input)
    sizes = [sizes[i] for i in order]
    if sizes and sizes[-1] <= 0:
        raise RuntimeError(f"{name}: Length of all samples has to be greater than 0, but found an element in "
                           f"'lengths' that is <= 0 (got {sizes})")
    if sizes and sizes[0] > steps:
        raise ValueError(f"{name}: a length ({sizes[0]}) exceeds the padded input's {steps} time steps")
    rows = [t * batch + order[b] for t in range(sizes[0] if sizes else 0) for b in range(batch) if sizes[b] > t]
    flat = reshape(x, (steps * batch,) + tuple(x.shape[2:]))
    data = take_rows(flat, _int64(rows, input))
    batch_sizes = [sum(1 for s in sizes if s > t) for t in range(sizes[0] if sizes else 0)]
    return PackedSequence(data, _int64(batch_sizes, input, host=True), sorted_indices, unsorted_indices)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False, padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Undo `pack_padded_sequence`: ``(padded (T, B, *) or (B, T, *), lengths (B,) int64 on the host)``.

    Sequences come back in their original order; ``T`` is the longest length, or ``total_length``.
    Differentiable in ``sequence.data``.
    """
    if isinstance(sequence, RecordedLengthsPack):
        return _padded(sequence, batch_first, padding_value, total_length)
    data, sizes = sequence.data, batch_sizes_of(sequence)
    steps, batch = len(sizes), sizes[0]
    if total_length is not None:
        if total_length < steps:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, "
                             f"but got total_length={total_length} and max sequence length being {steps}")
        steps = total_length
    lengths = [sum(1 for b in sizes if b > i) for i in range(batch)]  # sequence i runs while batch_sizes > i
    order = sorted_order(sequence) or list(range(batch))
    # one gather from the packed rows plus a last row of padding: position (t, order[b]) is packed row
    # offset_t + b while sequence b runs, the padding row after
    xp = data.backend.xp
    filler = Tensor._make(xp.full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.array.dtype,
                                  device=device(data.array)), data.backend, None, 0)
    pad_row = int(data.shape[0])
    rows = [pad_row] * (steps * batch)
    offset = 0
    for t, size in enumerate(sizes):
        for b in range(size):
            rows[t * batch + order[b]] = offset + b
        offset += size
    source = concat([data, filler], axis=0)
    padded = reshape(take_rows(source, _int64(rows, data)), (steps, batch) + tuple(data.shape[1:]))
    if batch_first:
        padded = permute(padded, (1, 0) + tuple(range(2, padded.ndim)))
    original = [lengths[i] for i in _invert(order)]
    return padded, _int64(original, data, host=True)


def _padded(sequence: RecordedLengthsPack, batch_first: bool, padding_value: float,
            total_length: Any) -> tuple[Tensor, Tensor]:
    """`pad_packed_sequence` of a `RecordedLengthsPack`: its steps past each sequence's end as ``padding_value``,
    ``total_length`` steps where given (a size the graph reads as it runs where it is a symbolic one), else the
    longest length's in a recording (ONNX export; a compiled step's static shapes cannot hold it: refused)."""
    data, lengths = sequence.data, sequence.lengths
    xp = data.backend.xp
    active = active_steps(xp, data.array, lengths.array)
    active = active[(...,) + (None,) * (data.ndim - 3)]  # (L, B, 1, ...): by indexing, symbolic axes and all
    padded = where(Tensor._make(active, data.backend, None, 0), data, padding_value)
    if total_length is None and hasattr(data.backend, "symbolic_shape"):  # (a recording: sizes read as it runs)
        padded = padded[:SymInt(xp.max(lengths.array), "max(lengths)")]  # the longest sequence's steps, as eager
    elif total_length is None:  # a traced step's shapes are static, and the longest length is a value
        raise NotImplementedError("pad_packed_sequence: the lengths are traced (a compiled step's tensor), so the "
                                  "longest of them, the padded result's length, has no value until the step runs; "
                                  "pass total_length (the padded input's x.size(0), or x.size(1) batch first)")
    else:
        missing = total_length - steps_of(data)
        if not isinstance(missing, int) or missing:
            if isinstance(missing, int) and missing < 0:
                raise ValueError(f"Expected total_length to be at least the length of the longest sequence in "
                                 f"input, but got total_length={total_length} and max sequence length being "
                                 f"{data.shape[0]}")
            padded = pad(padded, [0, 0] * (data.ndim - 1) + [0, missing], value=padding_value)
    if batch_first:
        padded = permute(padded, (1, 0) + tuple(range(2, padded.ndim)))
    return padded, lengths


def steps_of(x: Tensor) -> Any:
    """The size of ``x``'s first axis: an int, or a `SymInt` the graph reads as it runs (an ONNX export's symbolic
    axis)."""
    size = x.array.shape[0]
    return size if size is not None else x.backend.symbolic_shape(x.array)[0]


def pack_sequence(sequences: Sequence[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack tensors of shapes ``(L_i, *)`` (longest first unless ``enforce_sorted=False``)."""
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("pack_sequence: received an empty list of sequences")
    lengths = [int(s.shape[0]) for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences: Tensor, lengths: Any, batch_first: bool = False) -> list[Tensor]:
    """Split a padded batch back into its sequences ``(lengths[b], *)``."""
    sizes = _host_ints("unpad_sequence", lengths)
    x = padded_sequences if batch_first else permute(padded_sequences,
                                                     (1, 0) + tuple(range(2, padded_sequences.ndim)))
    return [x[b, :size] for b, size in enumerate(sizes)]


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The sequences of a packed batch, in their original order, as a list of ``(L_i, *)`` tensors."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pack_sequence", "pad_packed_sequence",
           "pad_sequence", "unpack_sequence", "unpad_sequence"]


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of a permutation of ``0..n-1`` (1-D integer tensor): ``out[permutation[i]] = i``; None for None,
    as PyTorch's."""
    if permutation is None:
        return None
    return permutation.argsort()
