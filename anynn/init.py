"""Parameter initialisers, drawn on the host from a seeded NumPy ``Generator``.

Drawing on the host, then moving to the backend, makes a seeded model start bit-identical on every
backend. Each function fills ``tensor`` in place (its ``.array`` is replaced) and returns it.
"""

from __future__ import annotations

import math
import threading
import warnings
from contextlib import contextmanager
from typing import Any, Callable, Iterator

import numpy as np

from .generator import Generator

HostGenerator = np.random.Generator  # the host-side generator every initialiser draws from


def host_generator(seed: Any = None) -> HostGenerator | None:
    """A host generator from a seed (``None`` stays ``None``: draw from the default generator)."""
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


_default_generator: Generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the host generator that initialisers and factories use when none is given; returns it (an
    `anynn.Generator`, as ``torch.manual_seed`` returns the default generator). It is reseeded in place, so
    ``anynn.default_generator`` stays the generator that is used, as ``torch.default_generator``."""
    return _default_generator.manual_seed(seed)  # (a negative seed: its 64-bit two's complement, as torch's)


def default_generator() -> np.random.Generator:
    return _default_generator


def _fill(tensor: Any, values: Any) -> Any:
    """Write ``values`` (a host array of ``tensor``'s shape, or an array of its backend drawn in a recorded graph)
    into ``tensor`` in its dtype."""
    from .autograd.tensor import mark_modified
    from .backend import dtype_name

    if not isinstance(values, np.ndarray) and tensor.backend.is_native(values):  # (drawn in the graph)
        data = tensor.backend.xp.astype(values, tensor.array.dtype)
    else:
        try:
            host = np.asarray(values, dtype=np.dtype(dtype_name(tensor.dtype)))
        except TypeError:  # a dtype NumPy lacks (bfloat16): draw in float32, cast on the backend
            data = tensor.backend.from_host(np.asarray(values, dtype=np.float32))
            data = tensor.backend.xp.astype(data, tensor.array.dtype)
        else:
            data = tensor.backend.from_host(host)
    if getattr(tensor.__dict__.get("_view_of", tensor._ctx), "makes_view", False):
        # a view (``init.orthogonal_(w[:h])``): an in-place copy, which the tensor it views follows
        from .autograd.mode import no_grad
        from .autograd.tensor import make_tensor

        with no_grad():
            return tensor.copy_(make_tensor(data, tensor.backend, None, 0))
    tensor.array = data
    mark_modified(tensor)  # an in-place change, as PyTorch's nn.init: graphs recorded before refuse backward
    return tensor


_watch = threading.local()  # .given: the list `watching_given_generators` fills in this thread, or None


@contextmanager
def watching_given_generators() -> Iterator[list[tuple[np.random.Generator, dict[str, Any]]]]:
    """While a compiled step is traced: each generator object handed to a draw (``generator=g``), with its state
    before its first draw in the block; the default generator is checked by its state alone. A host draw in a
    traced step is one constant of the program, so one that moved such a generator is refused."""
    given: list[tuple[np.random.Generator, dict[str, Any]]] = []
    outer = getattr(_watch, "given", None)
    _watch.given = given
    try:
        yield given
    finally:
        _watch.given = outer


def _rng(generator: np.random.Generator | int | None) -> np.random.Generator:
    if generator is None:
        return _default_generator
    if isinstance(generator, np.random.Generator):
        given = getattr(_watch, "given", None)
        if given is not None and not any(g is generator for g, _ in given):
            given.append((generator, generator.bit_generator.state))
        return generator
    return np.random.default_rng(generator)


def calculate_fan_in_and_fan_out(shape: tuple[int, ...]) -> tuple[int, int]:
    """Fans as PyTorch computes them: weight (out, in, *kernel) → (in * k, out * k)."""
    if len(shape) < 2:
        raise ValueError(f"fan in/out need at least 2 dimensions, got shape {shape}")
    receptive = 1
    for n in shape[2:]:
        receptive *= n
    return shape[1] * receptive, shape[0] * receptive


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity, as in PyTorch."""
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "sigmoid", "conv_transpose2d"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}")


def zeros_(tensor: Any) -> Any:
    return _fill(tensor, np.zeros(tensor.shape))


def ones_(tensor: Any) -> Any:
    return _fill(tensor, np.ones(tensor.shape))


def constant_(tensor: Any, value: float) -> Any:
    return _fill(tensor, np.full(tensor.shape, value))


def _complex_parts(tensor: Any, draw: Any) -> np.ndarray | None:
    """``draw(shape)`` twice over for a complex ``tensor``, as its real and imaginary parts (PyTorch draws both
    alike); None for a real one."""
    from .backend import dtype_name

    if not dtype_name(tensor.dtype).startswith("complex"):
        return None
    parts = draw((*tuple(tensor.shape), 2))
    return parts[..., 0] + 1j * parts[..., 1]


_steps = threading.local()  # .generators: backend key -> the generator of the compiled step traced in this thread


@contextmanager
def drawing_from(generators: dict[str, Callable[[], Any]]) -> Iterator[None]:
    """Within: a draw of a call given no generator (``F.dropout(x, p)``, ``anynn.rand``, ``x.normal_()``,
    ``multinomial``...) on a backend of ``generators`` (by key) takes the `DeviceRNG` its function gives, in this
    thread. A compiled step traces under it with a generator of its own, carried as the step's state (its counter
    goes in and comes out: new numbers every call, as ``torch.compile`` runs them); a host draw, or a new generator
    seeded from the host one, would be one constant of the program."""
    before = getattr(_steps, "generators", None)
    _steps.generators = generators
    try:
        yield
    finally:
        _steps.generators = before


def step_generator(backend: Any) -> Any:
    """The compiled step's own `DeviceRNG` for ``backend`` while one is traced in this thread (`drawing_from`),
    else None."""
    scoped = getattr(_steps, "generators", None)
    return scoped[backend.key]() if scoped and backend.key in scoped else None


def graph_draw(backend: Any, generator: Any = None) -> Callable[[str, Any, Any], Any] | None:
    """The draw, ``draw(kind, size, dtype)`` (``kind``: ``"uniform"`` on [0, 1) or ``"normal"``; ``size``: a shape or
    an array whose shape the draws take; a real floating ``dtype``), that makes numbers on ``backend`` itself instead
    of the host: its fast path ``"random_in_graph"`` (an ONNX export's random nodes, drawn each time the graph runs;
    torch's meta device: no draw; ``generator`` is not used there), or, for a call given no ``generator`` inside a
    compiled step traced on ``backend``, the step's own generator (`step_generator`). None elsewhere: draw on the
    host."""
    draw = backend.fast_path("random_in_graph")
    if draw is not None or generator is not None:
        return draw
    rng = step_generator(backend)
    if rng is None:
        return None

    def from_step(kind: str, size: Any, dtype: Any) -> Any:
        shape = tuple(size.shape) if hasattr(size, "shape") else tuple(size)
        return (rng.uniform if kind == "uniform" else rng.normal)(shape, dtype)

    return from_step


def drawn_in_graph(tensor: Any, kind: str) -> Any:
    """``kind`` draws (``"uniform"`` on [0, 1), ``"normal"``) of ``tensor``'s shape and real floating dtype as a
    random node, where its backend records one (an ONNX export: drawn each time the graph runs, where a host draw
    would be one constant of it; torch's meta device: no draw); None on every other backend and for other dtypes,
    which draw on the host. ``generator=`` is not used there (onnxruntime draws). An initialiser inside a compiled
    step keeps drawing on the host (it is refused there): a layer's first weights come from the host generator."""
    draw = tensor.backend.fast_path("random_in_graph")
    if draw is None or not tensor.backend.xp.isdtype(tensor.array.dtype, "real floating"):
        return None
    return draw(kind, tensor.array, tensor.array.dtype)


def refuse_host_draw_in_graph(tensor: Any, name: str) -> None:
    """Refuse ``nn.init.<name>``, which draws on the host, into a tensor of an ONNX export's recorded graph: the
    graph would hold one draw as a constant, the same numbers on every run."""
    if tensor.backend.records_graph:
        raise NotImplementedError(f"nn.init.{name} in a recorded forward (ONNX export) draws on the host, so the "
                                  f"graph would hold one draw as a constant; initialise the tensor outside forward "
                                  f"(a Parameter or buffer), or draw with normal_/uniform_/trunc_normal_, which "
                                  f"record random nodes")


def uniform_(tensor: Any, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Any:
    u = drawn_in_graph(tensor, "uniform")
    if u is not None:
        return _fill(tensor, u * (b - a) + a)
    rng = _rng(generator)
    values = _complex_parts(tensor, lambda shape: rng.uniform(a, b, size=shape))
    return _fill(tensor, rng.uniform(a, b, size=tensor.shape) if values is None else values)


def normal_(tensor: Any, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Any:
    z = drawn_in_graph(tensor, "normal")
    if z is not None:
        return _fill(tensor, z * std + mean)
    rng = _rng(generator)
    # complex: each part N(mean, std² / 2), PyTorch's complex normal (the variance std² shared by the two parts)
    values = _complex_parts(tensor, lambda shape: rng.normal(mean, std / math.sqrt(2.0), size=shape))
    return _fill(tensor, rng.normal(mean, std, size=tensor.shape) if values is None else values)


def xavier_uniform_(tensor: Any, gain: float = 1.0, generator: Any = None) -> Any:
    if 0 in tuple(tensor.shape):
        return tensor  # nothing to draw, and the fans may both be 0
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor.shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor: Any, gain: float = 1.0, generator: Any = None) -> Any:
    if 0 in tuple(tensor.shape):
        return tensor  # nothing to draw, and the fans may both be 0
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor.shape)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def _kaiming_std(shape: tuple[int, ...], a: float, mode: str, nonlinearity: str) -> float:
    fan_in, fan_out = calculate_fan_in_and_fan_out(shape)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def _no_elements(tensor: Any) -> bool:
    """A tensor with a zero-size axis (``Linear(0, n)``'s weight): fans may be 0, and there is nothing to draw."""
    if 0 not in tuple(tensor.shape):
        return False
    warnings.warn("Initializing zero-element tensors is a no-op", UserWarning, stacklevel=3)  # PyTorch's words
    return True


def kaiming_uniform_(tensor: Any, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator: Any = None) -> Any:
    if _no_elements(tensor):
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor.shape, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Any, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator: Any = None) -> Any:
    if _no_elements(tensor):
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor.shape, a, mode, nonlinearity), generator)


def orthogonal_(tensor: Any, gain: float = 1.0, generator: Any = None) -> Any:
    """A (semi-)orthogonal matrix from the QR decomposition of a Gaussian one (trailing dims flattened)."""
    if len(tensor.shape) < 2:
        raise ValueError("orthogonal_ needs at least 2 dimensions")
    refuse_host_draw_in_graph(tensor, "orthogonal_")
    rows = tensor.shape[0]
    cols = int(np.prod(tensor.shape[1:]))
    flat = _rng(generator).standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))


# PyTorch-style aliases without the trailing underscore
zeros, ones, uniform, normal = zeros_, ones_, uniform_, normal_
xavier_uniform, xavier_normal, glorot_uniform, glorot_normal = (xavier_uniform_, xavier_normal_,
                                                                xavier_uniform_, xavier_normal_)
kaiming_uniform, kaiming_normal, he_uniform, he_normal = (kaiming_uniform_, kaiming_normal_,
                                                          kaiming_uniform_, kaiming_normal_)
orthogonal = orthogonal_
