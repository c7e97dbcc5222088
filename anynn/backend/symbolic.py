"""`SymInt`: the size of a symbolic axis while a graph is recorded (ONNX export with ``dynamic_axes``).

A recorded input's symbolic axis has no size until the graph runs. ``x.size(1)``, ``x.shape`` and
``B, T, C = x.size()`` hand out a `SymInt` for such an axis (an int for every other one): a 0-d integer array of
the recording library (the graph's ``Shape``/``Gather`` of that axis), so what a model computes from it is
recorded too. ``T + 1``, ``C // n_head``, ``2 * T`` are SymInts; ``anynn.arange(T)``, ``x.view(B, T, h, C // h)``,
``buffer[:, :T]``, ``anynn.ones(T, T)``, ``x.expand(B, T, -1)`` take them, and the recording backend turns them
into ``Range``, ``Reshape``, ``Slice`` and ``Expand`` nodes whose sizes are read when the graph runs.

What has no answer before the graph runs is refused with the line that asked: a SymInt as a Python int
(``range(T)``, ``int(T)``, a NumPy shape), and a Python ``if``/``while`` on a comparison the recording cannot
decide (``if T > 8:``: the graph has one path for every length). A comparison is decided where it holds for every
size (``T == T``, ``T >= 1``: an axis is taken to be not empty; ``(math.ceil(T / 2) - 1) * 2 + 3 - T >= 0``, timm's
'same' padding, through `symbolic_bounds`). An ``assert`` on one (``assert T <= block_size``)
states what the model expects of its inputs: it is checked against the example's size where that is known (a size
read straight from an input's named axis, and what is computed from it) and then taken as given.
"""

from __future__ import annotations

import dis
import linecache
import operator
import sys
from typing import Any, Callable

from . import symbolic_bounds as forms

_ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "//": operator.floordiv, "%": operator.mod}
_COMPARISON = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq,
               "!=": operator.ne}


class SymInt:
    """A size known only when the recorded graph runs (see the module's docstring).

    Attributes
    ----------
    array : 0-d integer array of the recording library (its value when the graph runs)
    expr : str, how the model computed it, for messages and to decide ``T == T`` (``"T"``, ``"(T // 2)"``)
    hint : int or None, its value for the example inputs export was given (checks ``assert`` statements)
    low : int or None, a bound it never goes below (1 for a symbolic axis: it is taken to be not empty, as
        ``torch.export`` takes it; carried through ``+``, ``*``, ``//`` and ``%``), None where unknown
    origin : (weak reference to an array, axis) or None, the axis it was read from (``x.view(x.size(0), -1)``
        keeps that axis of x as it is, even where the graph has lost the axis' name)
    form : its linear form over the symbolic axes' sizes (`symbolic_bounds`), which decides comparisons that
        hold for every size (``max((math.ceil(h / 2) - 1) * 2 + 3 - h, 0)``: the pad is never negative)
    """

    __slots__ = ("array", "expr", "hint", "low", "origin", "form")

    def __init__(self, array: Any, expr: str, hint: int | None = None, low: int | None = 1,
                 origin: Any = None, form: Any = None) -> None:
        self.array, self.expr, self.hint, self.low, self.origin = array, expr, hint, low, origin
        self.form = forms.atom(expr, low) if form is None else form

    def __repr__(self) -> str:
        return f"SymInt({self.expr})"

    __str__ = __repr__

    def __hash__(self) -> int:
        return hash(self.expr)

    # -- arithmetic: recorded on the array -----------------------------------------------------------------------
    def _apply(self, symbol: str, other: Any, reflected: bool = False) -> Any:
        if not isinstance(other, (int, SymInt)) or isinstance(other, bool):
            return NotImplemented
        left, right = (other, self) if reflected else (self, other)
        if isinstance(right, int) and ((symbol in "+-" and right == 0) or (symbol in ("*", "//") and right == 1)):
            return left
        if isinstance(left, int) and ((symbol == "+" and left == 0) or (symbol == "*" and left == 1)):
            return right
        function = _ARITHMETIC[symbol]
        hints = [v if isinstance(v, int) else v.hint for v in (left, right)]
        hint = None if None in hints or (symbol in ("//", "%") and hints[1] == 0) else function(*hints)
        lows = [v if isinstance(v, int) else v.low for v in (left, right)]
        low = _low(symbol, lows[0], lows[1], right)
        values = [v.array if isinstance(v, SymInt) else v for v in (left, right)]
        if isinstance(values[0], int):  # (an int on the left: the array's reflected operator)
            values[0] = values[1] * 0 + values[0]
        expr = f"({_text(left)} {symbol} {_text(right)})"
        return SymInt(function(*values), expr, hint, low, form=_form_after(symbol, left, right, low, expr))

    def __add__(self, other: Any) -> Any:
        return self._apply("+", other)

    def __radd__(self, other: Any) -> Any:
        return self._apply("+", other, True)

    def __sub__(self, other: Any) -> Any:
        return self._apply("-", other)

    def __rsub__(self, other: Any) -> Any:
        return self._apply("-", other, True)

    def __mul__(self, other: Any) -> Any:
        return self._apply("*", other)

    def __rmul__(self, other: Any) -> Any:
        return self._apply("*", other, True)

    def __floordiv__(self, other: Any) -> Any:
        return self._apply("//", other)

    def __rfloordiv__(self, other: Any) -> Any:
        return self._apply("//", other, True)

    def __mod__(self, other: Any) -> Any:
        return self._apply("%", other)

    def __rmod__(self, other: Any) -> Any:
        return self._apply("%", other, True)

    def __neg__(self) -> Any:
        return self._apply("-", 0, True)

    def __pos__(self) -> "SymInt":
        return self

    # -- comparisons: decided where they hold for every size -------------------------------------------------------
    def _compare(self, symbol: str, other: Any) -> Any:
        if not isinstance(other, (int, SymInt)) or isinstance(other, bool):
            return NotImplemented
        function = _COMPARISON[symbol]
        if isinstance(other, SymInt) and other.expr == self.expr:
            return function(0, 0)
        if isinstance(other, int) and self.low is not None and (other < self.low or symbol in ("<", ">=")
                                                                and other == self.low):
            return function(self.low, other)  # (every value from low on answers the same: T >= 1, T != 0)
        everywhere = _decided(symbol, *forms.bounds(forms.combine(self.form, _form_of(other), -1)))
        if everywhere is not None:  # (what holds for every size: a pad that is never negative)
            return everywhere
        hint = other if isinstance(other, int) else other.hint
        decided = None if self.hint is None or hint is None else function(self.hint, hint)
        return SymBool(f"{self.expr} {symbol} {_text(other)}", decided)

    def __lt__(self, other: Any) -> Any:
        return self._compare("<", other)

    def __le__(self, other: Any) -> Any:
        return self._compare("<=", other)

    def __gt__(self, other: Any) -> Any:
        return self._compare(">", other)

    def __ge__(self, other: Any) -> Any:
        return self._compare(">=", other)

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        return self._compare("==", other)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return self._compare("!=", other)

    # -- what has no value while recording ---------------------------------------------------------------------
    def _no_value(self, *args: Any) -> Any:
        raise TypeError(f"the size {self.expr} of a symbolic axis (an ONNX export with it in dynamic_axes) has no "
                        f"value until the graph runs; it cannot be a Python int ({_caller()}): use it where a "
                        f"tensor takes a size (arange, view, reshape, expand, zeros, slicing), or export with "
                        f"static shapes")

    def __truediv__(self, other: Any) -> Any:
        """``T / n`` for a positive int ``n``: a `SymRatio`, which ``math.ceil`` and ``math.floor`` make a size
        (timm's ``math.ceil(h / stride)``); any other quotient has no value until the graph runs."""
        if isinstance(other, int) and not isinstance(other, bool) and other > 0:
            return SymRatio(self, other)
        return self._no_value()

    __index__ = __int__ = __float__ = __bool__ = __rtruediv__ = _no_value


class SymRatio:
    """``T / n`` of a `SymInt` by a positive int: a size once rounded (``math.ceil``, ``math.floor``); no number
    before the graph runs otherwise."""

    __slots__ = ("size", "divisor")

    def __init__(self, size: SymInt, divisor: int) -> None:
        self.size, self.divisor = size, divisor

    def __repr__(self) -> str:
        return f"SymRatio({self.size.expr} / {self.divisor})"

    def __floor__(self) -> SymInt:
        return self.size // self.divisor

    def __ceil__(self) -> SymInt:
        out = -((-self.size) // self.divisor)  # (Python's ceiling division: the graph's integer floor division)
        out.expr = f"ceil({self.size.expr} / {self.divisor})"
        return out

    def _no_value(self, *args: Any) -> Any:
        raise TypeError(f"{self!r}: the quotient of a symbolic size has no value until the graph runs "
                        f"({_caller()}); round it with math.ceil or math.floor (or use //), or export with static "
                        f"shapes")

    __index__ = __int__ = __float__ = __bool__ = __round__ = __trunc__ = _no_value
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _no_value
    __floordiv__ = __rfloordiv__ = __lt__ = __le__ = __gt__ = __ge__ = _no_value


class SymBool:
    """A comparison of sizes the recording cannot decide (``T > 8``): refused as a Python ``if`` or ``while``,
    taken as given in an ``assert`` (unless it fails for the example inputs)."""

    __slots__ = ("expr", "hint")

    def __init__(self, expr: str, hint: bool | None) -> None:
        self.expr, self.hint = expr, hint

    def __repr__(self) -> str:
        return f"SymBool({self.expr})"

    def __bool__(self) -> bool:
        frame = sys._getframe(1)
        if _in_assert(frame):  # what the model expects of its inputs: given, once the example's size agrees
            return True if self.hint is None else self.hint
        raise TypeError(f"a Python condition on a symbolic size ({self.expr}, at {_caller(frame)}) cannot be "
                        f"recorded: the graph has one path for every size, decided when it runs; compute both "
                        f"sides with tensor operations (anynn.where), or export with static shapes")


def is_symbolic(value: Any) -> bool:
    """Whether ``value`` is a `SymInt`."""
    return isinstance(value, SymInt)


def symbolic_array(data: Any) -> Any:
    """``data`` (a `SymInt`, or nested lists and tuples of numbers holding one) as an array of the recording library
    (``torch.tensor(x.size(0))``, ``torch.tensor([B, T])`` while exporting): int64, float32 with a float among
    them; None when ``data`` holds no `SymInt`."""
    leaves: list[Any] = []

    def walk(value: Any) -> None:
        if isinstance(value, (list, tuple)):
            for item in value:
                walk(item)
        else:
            leaves.append(value)

    walk(data)
    sizes = [v for v in leaves if isinstance(v, SymInt)]
    if not sizes:
        return None
    xp = sizes[0].array.__array_namespace__()
    dtype = xp.float32 if any(isinstance(v, float) for v in leaves) else xp.int64

    def build(value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return xp.stack([build(item) for item in value])
        array = value.array if isinstance(value, SymInt) else xp.asarray(value)
        return xp.astype(array, dtype)

    return build(data)


def size_array(value: Any, like: Callable[[int], Any]) -> Any:
    """``value`` as a 0-d integer array: a `SymInt`'s own, or ``like(value)`` for an int."""
    return value.array if isinstance(value, SymInt) else like(value)


def _form_of(value: int | SymInt) -> Any:
    return forms.constant(value) if isinstance(value, int) else value.form


def _form_after(symbol: str, left: int | SymInt, right: int | SymInt, low: int | None, expr: str) -> Any:
    """The linear form of ``left symbol right`` (`symbolic_bounds`); an opaque size where it is not linear."""
    a, b = _form_of(left), _form_of(right)
    if symbol in "+-":
        return forms.combine(a, b, 1 if symbol == "+" else -1)
    if symbol == "*" and (isinstance(left, int) or isinstance(right, int)):
        return forms.scaled(b, left) if isinstance(left, int) else forms.scaled(a, right)  # type: ignore[arg-type]
    if symbol in ("//", "%") and isinstance(right, int) and right > 0:
        return forms.divided(a, right, ceil=False) if symbol == "//" else forms.remainder(a, right)
    return forms.atom(expr, low)


def _decided(symbol: str, low: int | None, high: int | None) -> bool | None:
    """``difference symbol 0`` where the difference lies in ``[low, high]`` for every size (None: unbounded): True
    or False where that holds everywhere, None where it depends on the sizes."""
    above = {"<": (high is not None and high < 0, low is not None and low >= 0),
             "<=": (high is not None and high <= 0, low is not None and low > 0),
             ">": (low is not None and low > 0, high is not None and high <= 0),
             ">=": (low is not None and low >= 0, high is not None and high < 0),
             "==": (low == high == 0, (low is not None and low > 0) or (high is not None and high < 0))}
    if symbol == "!=":
        equal = _decided("==", low, high)
        return None if equal is None else not equal
    always, never = above[symbol]
    return True if always else False if never else None


def _low(symbol: str, left: int | None, right: int | None, divisor: Any) -> int | None:
    """The bound ``left symbol right`` never goes below, from bounds of the two sides (None: unknown)."""
    if left is None or right is None:
        return 0 if symbol == "%" and isinstance(divisor, int) and divisor > 0 else None
    if symbol == "+":
        return left + right
    if symbol == "-":
        return left - right if not isinstance(divisor, SymInt) else None
    if symbol == "*":
        return left * right if left >= 0 and right >= 0 else None
    if symbol == "//":
        return left // right if isinstance(divisor, int) and divisor > 0 and left >= 0 else None
    return 0 if isinstance(divisor, int) and divisor > 0 else None


def has_symbolic_bounds(index: slice) -> bool:
    """Whether the slice ``index`` has a `SymInt` start, stop or step."""
    return any(isinstance(v, SymInt) for v in (index.start, index.stop, index.step))


def sliced(xp: Any, a: Any, index: tuple[Any, ...]) -> Any:
    """``a[index]`` where slices have `SymInt` bounds (``mask[:, :, :T, :T]``) or a `SymInt` picks one position
    (``x[:, T - 1]``; ``index`` has an entry for every axis): the sizes are their arrays, read when
    the graph runs. The recording library may forget the result's static sizes (ndonnx does, for every axis, once
    one bound is not constant); a namespace with ``with_sizes`` gives them back (a Linear after it needs them)."""
    key = tuple(slice(*(v.array if isinstance(v, SymInt) else v for v in (i.start, i.stop, i.step)))
                if isinstance(i, slice) else i.array if isinstance(i, SymInt) else i for i in index)
    out = a[key]
    restore = getattr(xp, "with_sizes", None)
    return out if restore is None else restore(out, _sliced_sizes(index, tuple(a.shape)))


def _sliced_sizes(index: tuple[Any, ...], shape: tuple[Any, ...]) -> tuple[Any, ...]:
    """The sizes of ``a[index]`` (basic indexing, no ``...``) that are known before the graph runs; None elsewhere."""
    sizes: list[Any] = []
    axis = 0
    for i in index:
        if i is None:
            sizes.append(1)
            continue
        n = shape[axis]
        axis += 1
        if isinstance(i, slice):
            sizes.append(None if n is None or has_symbolic_bounds(i) else len(range(*i.indices(n))))
    return tuple(sizes) + tuple(shape[axis:])


def _text(value: Any) -> str:
    return value.expr if isinstance(value, SymInt) else repr(value)


def _in_assert(frame: Any) -> bool:
    """Whether ``frame`` asks for a truth value in an ``assert``: the jump that reads it goes on to, or jumps to,
    raising AssertionError (a Python ``if`` compiles to the same jump, without it)."""
    instructions = list(dis.get_instructions(frame.f_code))
    by_offset = {i.offset: i for i in instructions}
    at = next((k for k, i in enumerate(instructions) if i.offset >= frame.f_lasti), len(instructions))
    jump = instructions[at:at + 2]
    if jump and jump[0].opname == "TO_BOOL":  # (Python 3.13: the truth value is read before the jump)
        jump = instructions[at + 1:at + 3]
    if len(jump) < 2 or "JUMP" not in jump[0].opname:
        return False
    target = by_offset.get(jump[0].argval) if isinstance(jump[0].argval, int) else None
    return any(i is not None and _raises_assertion(i) for i in (jump[1], target))


def _raises_assertion(instruction: Any) -> bool:
    """Whether ``instruction`` starts raising a failed ``assert``: Python's own, or pytest's rewritten one (in test
    modules, which message it through ``@pytest_ar``)."""
    return instruction.opname == "LOAD_ASSERTION_ERROR" or (
        instruction.opname == "LOAD_GLOBAL" and instruction.argval == "@pytest_ar")


def _caller(frame: Any = None) -> str:
    """``file:line `source``` of the first frame outside this module (the model's line that asked for a value)."""
    frame = frame or sys._getframe(1)
    while frame is not None and frame.f_code.co_filename == __file__:
        frame = frame.f_back
    if frame is None:
        return "unknown line"
    source = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    return f"{frame.f_code.co_filename}:{frame.f_lineno} `{source}`"
