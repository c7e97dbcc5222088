# ruff: noqa: B023  (the lambdas run inside the loop iteration that makes them)
"""Shape ops (reshape/view, permute, transpose, .T/.mT, flatten, concat, stack): a float64 gradient check on
every backend, forward + input gradients against PyTorch in float32 and float64, and seeded random shapes and
axis orders against PyTorch on every backend."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from anynn.functional import shape as S

from tests.functional.samples import DTYPES, sample, tolerances
from tests.helpers import check_gradients, compare_with_torch, make, rand_shape, torch_oracle


# -- reshape, permute, transpose, flatten --------------------------------------------------------------
SHAPE_OPS = [
    ("reshape", lambda x: S.reshape(x, (3, 4)), lambda t: t.reshape(3, 4)),
    ("reshape_infer", lambda x: x.reshape(-1, 2), lambda t: t.reshape(-1, 2)),
    ("view_args", lambda x: x.view(4, 3), lambda t: t.reshape(4, 3)),
    ("permute", lambda x: S.permute(x, (2, 0, 1)), lambda t: t.permute(2, 0, 1)),
    ("permute_method", lambda x: x.permute(1, 2, 0), lambda t: t.permute(1, 2, 0)),
    ("transpose", lambda x: S.transpose(x, 0, 2), lambda t: t.transpose(0, 2)),
    ("transpose_default", S.transpose, lambda t: t.transpose(-2, -1)),
    ("mT", lambda x: x.mT, lambda t: t.mT),
    ("T", lambda x: x.T, lambda t: t.permute(2, 1, 0)),
    ("flatten", S.flatten, lambda t: t.flatten(1)),
    ("flatten_method", lambda x: x.flatten(), lambda t: t.flatten()),
    ("flatten_range", lambda x: S.flatten(x, 0, 1), lambda t: t.flatten(0, 1)),
]


@pytest.mark.parametrize("name,ours,theirs", SHAPE_OPS, ids=[s[0] for s in SHAPE_OPS])
def test_shape_op_gradients_and_torch(backend, name, ours, theirs):
    x = sample("any", (2, 3, 2))
    check_gradients(backend, ours, x)
    for dtype in DTYPES:
        compare_with_torch(backend, ours, theirs, x.astype(dtype), **tolerances(dtype))


@pytest.mark.parametrize("shape", [(3, 1), (1,), ()], ids=str)
@pytest.mark.parametrize("dim", [0, 1, -1, -2, 2, -3, (0, 1), (0, 5)], ids=str)
def test_squeeze_refuses_a_dim_out_of_range_as_torch(backend, shape, dim):
    x = make(backend, np.zeros(shape))
    try:
        expected = torch.zeros(shape).squeeze(dim).shape
    except IndexError:
        with pytest.raises(IndexError, match="squeeze: dim .* is out of range"):
            x.squeeze(dim)
        return
    assert tuple(x.squeeze(dim).shape) == tuple(expected)


def test_flatten_of_a_scalar_gives_one_element(backend):
    assert S.flatten(make(backend, np.array([3.0])).reshape(()), 0).shape == (1,)
    # a dim out of range is PyTorch's IndexError (flatten(x, 2) of a matrix gave x.flatten(0) before)
    for call in (lambda lib, x: lib.flatten(x, 2), lambda lib, x: x.flatten(-3), lambda lib, x: x.flatten(0, 5)):
        with pytest.raises(IndexError):
            call(torch, torch.ones(1, 3))
        with pytest.raises(IndexError, match="flatten: Dimension out of range"):
            call(anynn, make(backend, np.ones((1, 3))))


# -- concat and stack ----------------------------------------------------------------------------------
CONCAT_CASES = [(0, [(1, 3), (2, 3), (3, 3)]), (1, [(2, 1), (2, 4)]), (-1, [(2, 2, 1), (2, 2, 3)])]


@pytest.mark.parametrize("axis,shapes", CONCAT_CASES, ids=str)
def test_concat_gradients_and_torch(backend, axis, shapes):
    arrays = [sample("any", s, seed=i) for i, s in enumerate(shapes)]

    def ours(*ts):
        return S.concat(list(ts), axis=axis)

    def theirs(*ts):
        return torch.cat(ts, dim=axis)

    check_gradients(backend, ours, *arrays)
    for dtype in DTYPES:
        compare_with_torch(backend, ours, theirs, *(a.astype(dtype) for a in arrays), **tolerances(dtype))


@pytest.mark.parametrize("axis", [0, 1, -1, 2])
def test_stack_gradients_and_torch(backend, axis):
    arrays = [sample("any", (2, 3), seed=i) for i in range(3)]

    def ours(*ts):
        return S.stack(list(ts), axis=axis)

    def theirs(*ts):
        return torch.stack(ts, dim=axis)

    check_gradients(backend, ours, *arrays)
    for dtype in DTYPES:
        compare_with_torch(backend, ours, theirs, *(a.astype(dtype) for a in arrays), **tolerances(dtype))


def test_concat_with_a_constant_input(backend):
    a = make(backend, np.ones((1, 2)), requires_grad=True)
    b = make(backend, np.zeros((2, 2)))
    (S.concat([a, b]) * 3.0).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), 3.0 * np.ones((1, 2)))


JOIN_MISUSE = [("stack", [(2,), (3,)], 0, r"stack: expected each tensor to be of equal size, got \(2,\) at entry 0 "
                r"and \(3,\) at entry 1"),
               ("cat", [(2, 2), (3, 3)], 0, r"cat: sizes of tensors must match except in dim 0, got \(2, 2\) at "
                r"entry 0 and \(3, 3\) at entry 1"),
               ("cat", [(2, 2), (2,)], 1, r"cat: .* got \(2, 2\) at entry 0 and \(2,\) at entry 1"),
               ("stack", [(2,)], 2, r"stack: dim 2 is out of range .* \[-2, 1\]"),
               ("cat", [(2,), (2,)], -2, r"cat: dim -2 is out of range .* \[-1, 0\]"),
               ("cat", [(), ()], 0, r"cat: zero-dimensional tensor \(at position 0\) cannot be concatenated")]


RESHAPE_MISUSE = [("reshape", (6,), (5,), r"shape \(5,\) is invalid for a tensor of 6 elements \(shape \(6,\)\)"),
                  ("view", (6,), (4, -1), r"shape \(4, -1\) is invalid for a tensor of 6 elements"),
                  ("reshape", (6,), (-1, -1), "only one dimension can be inferred"),
                  ("view", (0, 3), (-1, 0), "cannot reshape a tensor of 0 elements into shape \\(-1, 0\\)"),
                  ("expand", (3,), (4,), r"the size 4 must match the existing size 3 at non-singleton dim 0"),
                  ("expand", (3,), (-1, 3), r"the size -1 isn't allowed in a leading, new dim 0"),
                  ("expand", (3,), (3, -2), r"the size -2 isn't allowed in dim 1"),
                  # a RuntimeError as PyTorch's (ValueError / IndexError before; permute: NumPy's words)
                  ("permute", (2, 2), (0, 0), r"permute\(\): duplicate dims are not allowed"),
                  ("repeat", (2, 2), (2,), r"repeat: 1 repeats given for a tensor of shape \(2, 2\)"),
                  ("split", (3,), (0,), "split: the piece size must be positive"),
                  ("chunk", (3,), (0,), "chunk: chunks must be positive"),
                  ("kthvalue", (3,), (4,), r"kthvalue\(\): selected number k \(4\) out of range")]


OPERATOR_MISUSE = [("add", lambda a, b: a + b, (2,), (3,), r"Add: the size of tensor a \(2\) must match the size of "
                    r"tensor b \(3\) at non-singleton dimension 0 \(shapes \(2,\) and \(3,\)\)"),
                   ("mul", lambda a, b: a * b, (4, 2, 3), (5, 1, 3), r"Mul: .* tensor a \(4\) .* tensor b \(5\) at "
                    r"non-singleton dimension 0"),
                   ("lt", lambda a, b: a < b, (2, 3), (2, 2), r"lt: .* at non-singleton dimension 1"),
                   ("matmul", lambda a, b: a @ b, (2, 3), (2, 3), r"MatMul: shapes \(2, 3\) and \(2, 3\) cannot be "
                    r"multiplied \(3 columns against 2 rows\)"),
                   ("torch.matmul", lambda a, b: _library_of(a).matmul(a, b), (3,), (2, 4),
                    r"matmul: shapes \(3,\) and \(2, 4\) cannot be multiplied"),
                   ("torch.maximum", lambda a, b: _library_of(a).maximum(a, b), (2,), (3,),
                    r"maximum: the size of tensor a \(2\) must match"),
                   # a RuntimeError as PyTorch's (NumPy's gufunc ValueError; IndexError / TypeError before)
                   ("matmul_0d", lambda a, b: a @ b, (), (), "MatMul: both arguments to matmul need to be at least 1D"),
                   ("gather_out_of_bounds", lambda a, b: a.gather(0, (b + 5).long()), (3,), (1,),
                    "gather: index 5 is out of bounds"),
                   ("gather_float_index", lambda a, b: a.gather(0, b), (3,), (1,), "gather: index must hold integers"),
                   ("masked_fill_float_mask", lambda a, b: a.masked_fill(b, 0.0), (3,), (3,),
                    "masked_fill: the mask must be boolean")]


def _library_of(tensor):
    """torch or anynn, whichever made ``tensor``."""
    import importlib

    return importlib.import_module(type(tensor).__module__.split(".")[0])


@pytest.mark.parametrize("name,op,left,right,message", OPERATOR_MISUSE, ids=[c[0] for c in OPERATOR_MISUSE])
def test_operators_on_shapes_that_do_not_go_together_name_the_op_and_shapes(backend, name, op, left, right, message):
    """Each library said it its own way and class: NumPy 'operands could not be broadcast together with shapes (2,)
    (3,)' (ValueError), torch its RuntimeError; no message named the op."""
    with pytest.raises(RuntimeError):
        op(torch.zeros(left), torch.zeros(right))
    with pytest.raises(RuntimeError, match=message):
        op(make(backend, np.zeros(left)), make(backend, np.zeros(right)))


@pytest.mark.parametrize("method,source,target,message", RESHAPE_MISUSE, ids=str)
def test_reshape_view_and_expand_to_a_wrong_shape_name_the_op_and_shapes(backend, method, source, target, message):
    """NumPy said 'cannot reshape array of size 6 into shape (4,newaxis)' or 'operands could not be broadcast
    together with remapped shapes' (ValueError); PyTorch refuses each as RuntimeError (also permute, repeat, split,
    chunk and kthvalue misused)."""
    with pytest.raises(RuntimeError):
        getattr(torch.zeros(source), method)(*target)
    with pytest.raises(RuntimeError, match=message):
        getattr(make(backend, np.zeros(source)), method)(*target)


@pytest.mark.parametrize("name,shapes,dim,message", JOIN_MISUSE, ids=str)
def test_joining_mismatched_tensors_names_the_op_and_entries(backend, name, shapes, dim, message):
    """Each library's own message named neither the op nor the entry (NumPy: 'all input arrays must have the
    same shape'), and its class differed (ValueError, torch's RuntimeError); PyTorch refuses them too."""
    import anynn

    error = IndexError if "range" in message else RuntimeError
    with pytest.raises(error):
        getattr(torch, name)([torch.zeros(s) for s in shapes], dim)
    with pytest.raises(error, match=message):
        getattr(anynn, name)([make(backend, np.zeros(s)) for s in shapes], dim)


def test_pieces_of_a_0d_tensor_are_refused_as_torch():
    # PyTorch's RuntimeError ("split expects at least a 1-dimensional tensor"); anynn raised IndexError 'tuple
    # index out of range' reading the size along dim
    for lib in (torch, anynn):
        for call in (lambda t: t.split(1), lambda t: t.chunk(2), lambda t: t.narrow(0, 0, 1)):
            with pytest.raises(RuntimeError, match="1-dimensional|0-dim"):
                call(lib.tensor(1.0))


# -- seeded random shapes against PyTorch on every backend ---------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_reshape_permute_transpose_flatten(backend, dtype):
    rng = np.random.default_rng(5)
    for _ in range(6):
        shape = rand_shape(rng, min_rank=1)
        x = rng.standard_normal(shape).astype(dtype)
        n = len(shape)
        order = tuple(int(i) for i in rng.permutation(n))
        torch_oracle(backend, lambda t: t.permute(order), lambda t: t.permute(order), [x], dtype,
                     what=f"permute {order}")
        torch_oracle(backend, lambda t: t.permute(*order), lambda t: t.permute(*order), [x], dtype, what="permute *")
        a0, a1 = (int(i) for i in rng.integers(-n, n, size=2))
        torch_oracle(backend, lambda t: t.transpose(a0, a1), lambda t: t.transpose(a0, a1), [x], dtype,
                     what=f"transpose {a0} {a1}")
        s, e = sorted(int(i) for i in rng.integers(0, n, size=2))
        s, e = s - n if rng.random() < 0.5 else s, e - n if rng.random() < 0.5 else e
        torch_oracle(backend, lambda t: t.flatten(s, e), lambda t: t.flatten(s, e), [x], dtype, what=f"flatten {s} {e}")
        torch_oracle(backend, lambda t: S.flatten(t, s, e), lambda t: t.flatten(s, e), [x], dtype, what="F.flatten")
        new = (-1,) + shape[-1:]
        torch_oracle(backend, lambda t: t.reshape(new), lambda t: t.reshape(new), [x], dtype, what=f"reshape {new}")
        torch_oracle(backend, lambda t: t.reshape(*new), lambda t: t.reshape(*new), [x], dtype, what="reshape *")
        torch_oracle(backend, lambda t: t.reshape(shape=new), lambda t: t.reshape(shape=new), [x], dtype,
                     what="reshape shape=")  # DiT's and MAE's unpatchify
        torch_oracle(backend, lambda t: t.view(size=new), lambda t: t.view(size=new), [x], dtype, what="view size=")
        torch_oracle(backend, lambda t: t.T, lambda t: t.permute(*reversed(range(t.ndim))), [x], dtype, what=".T")
        if n >= 2:
            torch_oracle(backend, lambda t: t.mT, lambda t: t.mT, [x], dtype, what=".mT")


@pytest.mark.parametrize("dtypes", [("int64", "float32"), ("bool", "float64"), ("int32", "float32", "float64"),
                                    ("bool", "int64"), ("uint8", "int8"), ("bool", "int32", "float32")], ids=str)
def test_joined_tensors_promote_across_kinds_as_torch(backend, dtypes):
    """NumPy makes int64 with float32 float64 and array-api-strict refuses mixed kinds; PyTorch keeps float32."""
    import anynn

    values = [np.array([1, 0, 1]).astype(d) for d in dtypes]
    for ours_join, torch_join in ((anynn.cat, torch.cat), (anynn.stack, torch.stack)):
        ours = [make(backend, v, requires_grad=v.dtype.kind == "f") for v in values]
        theirs = [torch.tensor(v, requires_grad=v.dtype.kind == "f") for v in values]
        out, ref = ours_join(ours, 0), torch_join(theirs, 0)
        assert out.numpy().dtype == ref.detach().numpy().dtype, ours_join.__name__
        np.testing.assert_array_equal(out.numpy(), ref.detach().numpy())
        if ref.requires_grad:
            weights = np.arange(ref.numel()).reshape(tuple(ref.shape)).astype(out.numpy().dtype)
            (out * make(backend, weights)).sum().backward()
            (ref * torch.tensor(weights)).sum().backward()
            for a, r in zip(ours, theirs):
                if r.requires_grad:
                    np.testing.assert_array_equal(a.grad.numpy(), r.grad.numpy())
                    assert a.grad.numpy().dtype == r.grad.numpy().dtype


def test_matrix_transpose_below_two_dims_as_torch(backend):
    import warnings

    import anynn

    with pytest.raises(RuntimeError, match="mT is only supported on matrices") as ours:
        _ = make(backend, np.ones(3)).mT
    with pytest.raises(RuntimeError) as theirs:
        _ = torch.ones(3).mT
    assert str(ours.value) == str(theirs.value)
    scalar = anynn.tensor(2.0, backend=backend)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch deprecates .mT on 0-d tensors (still the identity)
        assert scalar.mT is scalar and torch.tensor(2.0).mT.shape == ()


# -- edge cases found by the misuse sweep: PyTorch's refusals and PyTorch's results on empty pieces ----------
SHAPE_EDGES = {  # name: call(lib, x) with x a (3, 4) tensor; PyTorch's error class, or None where it accepts
    "flatten_start_after_end": (lambda lib, x: x.flatten(1, 0), RuntimeError),
    "split_negative_size": (lambda lib, x: x.split([5, -1], 1), RuntimeError),
    "split_zero_size_piece": (lambda lib, x: x.split([0, 4], 1), None),
    "view_minus_two": (lambda lib, x: x.view(-2, 6), RuntimeError),
    "reshape_minus_three": (lambda lib, x: x.reshape(6, -3), RuntimeError),
    "chunk_of_an_empty_dim": (lambda lib, x: x[:0].chunk(2), None),
    "chunk_of_an_empty_dim_3": (lambda lib, x: x[:, :0].chunk(3, 1), None),
    "cat_skips_a_legacy_empty_vector": (lambda lib, x: lib.cat([x, x.new_zeros(0), x]), None),
    "cat_legacy_empty_vector_first": (lambda lib, x: lib.cat([x.new_zeros(0), x], 1), None),
    "cat_only_empty_vectors": (lambda lib, x: lib.cat([x.new_zeros(0), x.new_zeros(0)]), None),
    # skipped, but its dtype counts (float64 result; float32 before)
    "cat_legacy_empty_vector_dtype": (lambda lib, x: lib.cat([x.new_zeros(0, dtype=lib.float64), x]), None),
    "cat_legacy_empty_int_vector": (lambda lib, x: lib.cat([x, x.new_zeros(0, dtype=lib.int64)]), None),
}


@pytest.mark.parametrize("name", sorted(SHAPE_EDGES))
def test_shape_edges_as_torch(backend, name):
    import anynn

    call, error = SHAPE_EDGES[name]
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    ours = make(backend, x)
    if error is not None:
        with pytest.raises(error):
            call(torch, torch.tensor(x))
        with pytest.raises(error):
            call(anynn, ours)
        return
    got, want = call(anynn, ours), call(torch, torch.tensor(x))
    got, want = (got, want) if isinstance(want, tuple) else ((got,), (want,))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g.numpy(), w.numpy())
        assert g.numpy().dtype == w.numpy().dtype


# -- the *_copy functions: the view's values and gradients, in fresh tensors -----------------------------
COPY_CALLS = {
    "view_copy": lambda m, x: m.view_copy(x, (4, 6)), "permute_copy": lambda m, x: m.permute_copy(x, (2, 0, 1)),
    "t_copy": lambda m, x: m.t_copy(x[0]), "transpose_copy": lambda m, x: m.transpose_copy(x, 0, 2),
    "squeeze_copy": lambda m, x: m.squeeze_copy(x[:, :1], 1), "unsqueeze_copy": lambda m, x: m.unsqueeze_copy(x, -1),
    "expand_copy": lambda m, x: m.expand_copy(x[:1], (3, 3, 4)),
    "diagonal_copy": lambda m, x: m.diagonal_copy(x, 1, 1, 2),
    "narrow_copy": lambda m, x: m.narrow_copy(x, 2, 1, 2), "select_copy": lambda m, x: m.select_copy(x, 1, -1),
    "slice_copy": lambda m, x: m.slice_copy(x, 2, 1, None, 2), "alias_copy": lambda m, x: m.alias_copy(x),
    "unfold_copy": lambda m, x: m.unfold_copy(x, 2, 2, 1),
    "as_strided_copy": lambda m, x: m.as_strided_copy(x, (2, 2), (4, 1), 1),
    "split_copy": lambda m, x: m.split_copy(x, 2, 2), "split_with_sizes_copy": lambda m, x: m.split_with_sizes_copy(
        x, [1, 3], 2), "unbind_copy": lambda m, x: m.unbind_copy(x, 1),
    "view_as_real_copy": lambda m, x: m.view_as_real_copy(m.complex(x, x * 2)),
    "view_as_complex_copy": lambda m, x: m.view_as_real(m.view_as_complex_copy(x[..., :2].contiguous())),
    "view_as_complex": lambda m, x: m.view_as_real(m.view_as_complex(x[..., :2].contiguous())),
}


@pytest.mark.parametrize("name", sorted(set(COPY_CALLS) - {"view_as_complex"}))
def test_copy_functions_match_torch_and_share_nothing(backend, name):
    import anynn

    values = np.arange(24.0).reshape(2, 3, 4) * 0.5 - 3.0
    # PyTorch refuses to differentiate view_as_complex_copy ("does not support automatic differentiation for
    # outputs with complex dtype"); anynn's is differentiable, as view_as_complex: its gradient is checked against
    # PyTorch's view_as_complex
    differentiable = name != "view_as_complex_copy"
    ours, theirs = make(backend, values, requires_grad=True), torch.tensor(values, requires_grad=True)
    out = COPY_CALLS[name](anynn, ours)
    reference = COPY_CALLS[name if differentiable else "view_as_complex"](torch, theirs)
    outs, references = (out, reference) if isinstance(out, tuple) else ((out,), (reference,))
    assert len(outs) == len(references)
    for a, t in zip(outs, references):
        np.testing.assert_array_equal(a.detach().numpy(), t.detach().numpy())
    weights = [np.arange(t.numel(), dtype=np.float64).reshape(tuple(t.shape)) for t in references]
    sum((a * make(backend, w)).sum() for a, w in zip(outs, weights)).backward()
    sum((t * torch.tensor(w)).sum() for t, w in zip(references, weights)).backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())
    before = ours.detach().numpy().copy()
    with anynn.no_grad():
        outs[0].mul_(0.0)  # a copy: the input keeps its values
    np.testing.assert_array_equal(ours.detach().numpy(), before)


def test_detach_copy_is_a_detached_clone(backend):
    import anynn

    x = make(backend, np.array([1.0, 2.0]), requires_grad=True)
    y = anynn.detach_copy(x)
    assert not y.requires_grad
    y.add_(1.0)
    np.testing.assert_array_equal(x.detach().numpy(), [1.0, 2.0])
