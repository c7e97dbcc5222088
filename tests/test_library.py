"""anynn.library (torch.library's Python custom operators) as PyTorch's custom-ops tutorial uses it."""

from typing import Sequence

import numpy as np
import pytest

import anynn


def _crop_ops(torch, namespace: str):
    """The tutorial's crop with its gradient (a paste operator), on NumPy instead of PIL."""
    library = torch.library

    @library.custom_op(f"{namespace}::crop", mutates_args=())
    def crop(pic: torch.Tensor, box: Sequence[int]) -> torch.Tensor:
        x0, y0, x1, y1 = box
        return torch.from_numpy(pic.detach().numpy()[:, y0:y1, x0:x1].copy())

    @crop.register_fake
    def _(pic, box):
        return pic.new_empty(pic.shape[0], box[3] - box[1], box[2] - box[0])

    @library.custom_op(f"{namespace}::paste", mutates_args=())
    def paste(im1: torch.Tensor, im2: torch.Tensor, coord: Sequence[int]) -> torch.Tensor:
        out = im1.detach().numpy().copy()
        out[:, coord[1]:coord[1] + im2.shape[1], coord[0]:coord[0] + im2.shape[2]] = im2.detach().numpy()
        return torch.from_numpy(out)

    def backward(ctx, grad_output):
        return paste(grad_output.new_zeros(ctx.pic_shape), grad_output, ctx.coords), None

    def setup_context(ctx, inputs, output):
        ctx.coords, ctx.pic_shape = inputs[1][:2], inputs[0].shape

    crop.register_autograd(backward, setup_context=setup_context)
    return library, crop


def test_a_custom_operator_with_a_fake_kernel_and_a_gradient_as_torch():
    """The values PyTorch gives (checked against it in the port; its first custom-op call takes seconds, too long
    for CI): the crop, the pasted gradient of sum(crop**2), the operator through anynn.ops, opcheck's passes."""
    library, crop = _crop_ops(anynn, "anynn_test_a")
    picture = np.arange(48.0).reshape(3, 4, 4)
    img = anynn.tensor(picture, requires_grad=True)
    out = crop(img, (1, 0, 3, 2))
    (out * out).sum().backward()
    expected_grad = np.zeros_like(picture)
    expected_grad[:, 0:2, 1:3] = 2 * picture[:, 0:2, 1:3]
    np.testing.assert_array_equal(out.detach().numpy(), picture[:, 0:2, 1:3])
    np.testing.assert_array_equal(img.grad.numpy(), expected_grad)
    np.testing.assert_array_equal(anynn.ops.anynn_test_a.crop(img.detach(), [0, 0, 2, 2]).numpy(), picture[:, :2, :2])
    checks = library.opcheck(crop, [anynn.ones(3, 5, 5, requires_grad=True), [1, 1, 3, 4]])
    assert set(checks.values()) == {"SUCCESS"}


def test_an_operator_without_a_gradient_or_with_an_undeclared_mutation_is_refused_as_torch():
    library = anynn.library

    @library.custom_op("anynn_test_a::twice", mutates_args=())
    def twice(x: anynn.Tensor) -> anynn.Tensor:
        return x * 2

    with pytest.raises(RuntimeError, match="anynn_test_a::twice: autograd has not been implemented"):
        twice(anynn.ones(2, requires_grad=True)).sum().backward()

    @library.custom_op("anynn_test_a::fill", mutates_args=())
    def fill(x: anynn.Tensor, out: anynn.Tensor) -> None:
        out.copy_(x)

    assert library.opcheck(fill, [anynn.ones(2), anynn.zeros(2)], raise_exception=False)["test_schema"].startswith(
        "RuntimeError: argument 'out' was changed in place")
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        getattr(anynn.ops.anynn_test_a, "missing")  # noqa: B009


def test_operators_from_schemas_with_library_define_and_impl_as_torch():
    """torch.library.Library / define / impl (AttributeError before; left from session 25): the values and errors
    PyTorch 2.13 gives for the same program (checked against it in the port)."""
    library = anynn.library
    lib = library.Library("anynn_test_b", "DEF")
    assert lib.define("numpy_sin(Tensor x, float scale=1.0) -> Tensor") == "numpy_sin"
    lib.impl("numpy_sin", lambda x, scale=1.0: anynn.from_numpy(np.sin(x.detach().numpy()) * scale), "CPU")
    x, ops = anynn.tensor([0.5, 1.0], dtype="float64"), anynn.ops.anynn_test_b
    np.testing.assert_allclose(ops.numpy_sin(x, scale=3.0).numpy(), 3 * np.sin([0.5, 1.0]))
    np.testing.assert_allclose(ops.numpy_sin.default(x, 2.0).numpy(), 2 * np.sin([0.5, 1.0]))
    library.register_autograd("anynn_test_b::numpy_sin", lambda ctx, g: (g * ctx.x.cos() * ctx.scale, None),
                              setup_context=lambda ctx, inputs, output: vars(ctx).update(x=inputs[0], scale=inputs[1]))
    lib.define("twice(Tensor x) -> Tensor")
    lib.impl("twice", lambda x: x * 2 + x.sin(), "CompositeImplicitAutograd")  # differentiated through its ops
    library.define("anynn_test_b::fill_two", "(Tensor(a!) x) -> ()", lib=lib)
    library.impl("anynn_test_b::fill_two", "cpu", lambda x: (x.fill_(2.0), None)[1], lib=lib)
    w = anynn.tensor([0.3, 0.7], dtype="float64", requires_grad=True)
    (ops.numpy_sin(w, 2.0) + ops.twice(w)).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 3 * np.cos([0.3, 0.7]) + 2)
    y = anynn.zeros(3)
    assert ops.fill_two(y) is None and y.tolist() == [2.0] * 3 and ops.fill_two._mutates == ("x",)
    with pytest.raises(RuntimeError, match="with the same name and overload name multiple times"):
        lib.define("twice(Tensor x) -> Tensor")
    with pytest.raises(ValueError, match="Unsupported kind: BOGUS"):
        library.Library("anynn_test_b", "BOGUS")
    lib.define("no_kernel(Tensor x) -> Tensor")
    with pytest.raises(NotImplementedError, match="Could not run 'anynn_test_b::no_kernel' with arguments from the "
                                                  "'CPU' backend"):
        ops.no_kernel(x)
    del lib  # its operators go with it, as PyTorch's
    library.Library("anynn_test_b", "DEF").define("twice(Tensor x) -> Tensor")
