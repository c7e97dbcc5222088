"""Module hooks (anynn/nn/hooks.py) against PyTorch: forward pre-hooks and forward hooks (kwargs, prepend,
always_call, removal inside a hook) and full backward hooks on modules of several inputs. Each case gives the
same result on both libraries, or raises the same class."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import anynn

torch = pytest.importorskip("torch")


def _scale(lib):
    class Scale(lib.nn.Module):
        def forward(self, x, scale=1.0):
            return x * scale

    return Scale()


def _fails(lib):
    class Fails(lib.nn.Module):
        def forward(self, x):
            raise ValueError("forward failed")

    return Fails()


def _two_inputs(lib):
    class Mix(lib.nn.Module):
        def forward(self, a, b):
            return a * 2 + b * 3

    return Mix()


def _x(lib, requires_grad=False):
    return lib.tensor([[1.0, 2.0]], requires_grad=requires_grad)


def _values(t):
    return None if t is None else t.detach().numpy().tolist()


def _pre_hook_with_kwargs(lib):
    m = _scale(lib)
    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, dict(kwargs, scale=3.0)), with_kwargs=True)
    return _values(m(_x(lib), scale=2.0))


def _pre_hook_one_value(lib):
    m = _scale(lib)
    m.register_forward_pre_hook(lambda mod, args: args[0] * 0 + 1)
    return _values(m(_x(lib)))


def _post_hook_with_kwargs(lib):
    m, seen = _scale(lib), []
    m.register_forward_hook(lambda mod, args, kwargs, out: (seen.append(sorted(kwargs)), out + 1)[1], with_kwargs=True)
    return _values(m(_x(lib), scale=2.0)), seen


def _order_with_prepend(lib):
    m, seen = _scale(lib), []
    m.register_forward_hook(lambda *a: seen.append("post a"))
    m.register_forward_hook(lambda *a: seen.append("post b"), prepend=True)
    m.register_forward_pre_hook(lambda *a: seen.append("pre a"))
    m.register_forward_pre_hook(lambda *a: seen.append("pre b"), prepend=True)
    m(_x(lib))
    return seen


def _always_call(lib, fail_in="forward"):
    m = _fails(lib) if fail_in == "forward" else _scale(lib)
    seen = []
    if fail_in == "pre_hook":
        m.register_forward_pre_hook(lambda *a: 1 / 0)
    if fail_in == "hook":
        m.register_forward_hook(lambda mod, args, out: (seen.append(("first", _values(out))), 1 / 0))
    m.register_forward_hook(lambda mod, args, out: seen.append(("always", _values(out))), always_call=True)
    m.register_forward_hook(lambda mod, args, kwargs, out: seen.append(("always kwargs", _values(out))),
                            with_kwargs=True, always_call=True)
    m.register_forward_hook(lambda mod, args, out: seen.append(("normal", _values(out))))
    try:
        m(_x(lib))
    except (ValueError, ZeroDivisionError) as error:
        return type(error).__name__, seen
    return "no error", seen


def _always_call_hook_raising(lib):
    m = _fails(lib)
    m.register_forward_hook(lambda *a: 1 / 0, always_call=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            m(_x(lib))
        except ValueError:
            pass
    return ["silenced" in str(w.message) for w in caught]


def _remove_inside(lib):
    m, seen, handles = _scale(lib), [], []

    def once(mod, args, out):
        seen.append("once")
        handles[0].remove()

    handles.append(m.register_forward_hook(once))
    m.register_forward_hook(lambda *a: seen.append("every"))
    m(_x(lib))
    m(_x(lib))
    return seen


def _full_backward_two_inputs(lib):
    m, got = _two_inputs(lib), []
    m.register_full_backward_hook(lambda mod, gi, go: got.append(([_values(g) for g in gi], [_values(g) for g in go])))
    a, b = _x(lib, True), _x(lib, True)
    m(a, b).sum().backward()
    return got


def _full_backward_replaces(lib):
    m = _two_inputs(lib)
    m.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 10, None))
    a, b = _x(lib, True), _x(lib, True)
    m(a, b).sum().backward()
    return _values(a.grad), _values(b.grad)


def _backward_pre(lib, returns="double", with_full=False):
    m, seen = _two_inputs(lib), []
    results = {"double": lambda go: (go[0] * 2,), "none": lambda go: None, "too_many": lambda go: (go[0], go[0])}
    m.register_full_backward_pre_hook(lambda mod, go: (seen.append(("pre", [_values(g) for g in go])),
                                                       results[returns](go))[1])
    if with_full:
        m.register_full_backward_hook(lambda mod, gi, go: seen.append(("full", [_values(g) for g in go])))
    a, b = _x(lib, True), _x(lib, True)
    (m(a, b) * lib.tensor([[1.0, 3.0]])).sum().backward()
    return _values(a.grad), _values(b.grad), seen


HOOK_CASES = {
    "full_backward_pre_hook_scales_grad_output": _backward_pre,
    "full_backward_pre_hook_returning_none": lambda lib: _backward_pre(lib, "none"),
    "full_backward_pre_hook_then_full_hook": lambda lib: _backward_pre(lib, with_full=True),
    "full_backward_pre_hook_returning_too_many": lambda lib: _backward_pre(lib, "too_many"),
    "pre_hook_with_kwargs": _pre_hook_with_kwargs,
    "pre_hook_returning_one_value": _pre_hook_one_value,
    "pre_hook_with_kwargs_returning_args_only": lambda lib: (lambda m: (m.register_forward_pre_hook(
        lambda mod, args, kwargs: args, with_kwargs=True), m(_x(lib))))(_scale(lib)),
    "forward_hook_with_kwargs": _post_hook_with_kwargs,
    "order_with_prepend": _order_with_prepend,
    "always_call_after_forward_raised": _always_call,
    "always_call_after_a_pre_hook_raised": lambda lib: _always_call(lib, "pre_hook"),
    "always_call_after_a_hook_raised": lambda lib: _always_call(lib, "hook"),
    "always_call_when_nothing_raises": lambda lib: _always_call(lib, "nothing"),
    "always_call_hook_raising_is_silenced": _always_call_hook_raising,
    "handle_removed_inside_its_hook": _remove_inside,
    "full_backward_hook_two_inputs": _full_backward_two_inputs,
    "full_backward_hook_replaces_grad_input": _full_backward_replaces,
    "full_backward_hook_returning_too_many": lambda lib: (lambda m, a: (m.register_full_backward_hook(
        lambda mod, gi, go: (gi[0], gi[0])), m(a).sum().backward()))(_scale(lib), _x(lib, True)),
    # (these three gave a .grad of the wrong shape silently, our own AttributeError, NumPy's matmul error)
    "full_backward_hook_returning_a_wrong_shape": lambda lib: (lambda m, a: (m.register_full_backward_hook(
        lambda mod, gi, go: (lib.ones(3),)), m(a).sum().backward()))(_scale(lib), _x(lib, True)),
    "full_backward_hook_returning_a_number": lambda lib: (lambda m, a: (m.register_full_backward_hook(
        lambda mod, gi, go: 3), m(a).sum().backward()))(_scale(lib), _x(lib, True)),
    "full_backward_pre_hook_returning_a_wrong_shape": lambda lib: (lambda m, a: (m.register_full_backward_pre_hook(
        lambda mod, go: (lib.ones(5),)), m(a).sum().backward()))(_linear(lib), _x(lib, True)),
}


@pytest.mark.parametrize("name", sorted(HOOK_CASES))
def test_module_hooks_as_torch(name):
    outcomes = []
    for lib in (torch, anynn):
        try:
            outcomes.append(("ok", HOOK_CASES[name](lib)))
        except Exception as error:  # noqa: BLE001 - the class is what is compared
            outcomes.append(("raise", type(error).__name__))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0] != ("ok", None) or name.startswith("pre_hook_with_kwargs_returning")


def test_a_backward_hook_that_changes_a_gradients_size_is_named():
    with pytest.raises(RuntimeError, match=r"Linear's backward pre-hook changed the size of gradient 0: expected "
                                           r"shape \(1, 2\), got \(5,\)"):
        HOOK_CASES["full_backward_pre_hook_returning_a_wrong_shape"](anynn)


def test_always_call_hook_sees_the_changed_args():
    m, seen = _fails(anynn), []
    m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
    m.register_forward_hook(lambda mod, args, out: seen.append(args[0].numpy().tolist()), always_call=True)
    with pytest.raises(ValueError, match="forward failed"):
        m(_x(anynn))
    assert seen == [[[2.0, 4.0]]]
    np.testing.assert_array_equal(np.asarray(seen[0]), np.array([[2.0, 4.0]]))


def _linear(lib):
    lib.manual_seed(0)
    return lib.nn.Linear(2, 2)


def _counter(lib):
    class Counter(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = lib.nn.Linear(1, 1)
            self.calls = 0

        def get_extra_state(self):
            return {"calls": self.calls}

        def set_extra_state(self, state):
            self.calls = state["calls"]

    return Counter()


def _renaming_load(lib):
    m = _linear(lib)

    def rename(module, state, prefix, local_metadata, strict, missing, unexpected, errors):
        if prefix + "w" in state:
            state[prefix + "weight"] = state.pop(prefix + "w")

    m.register_load_state_dict_pre_hook(rename)
    given = {"w": lib.ones(2, 2), "bias": lib.zeros(2)}
    keys = m.load_state_dict(given)
    return _values(m.weight), sorted(given), tuple(keys)


def _private_load_pre_hook(lib, with_module, remove=False):
    """gpt-fast's Attention.load_hook: checkpoints keep wq/wk/wv, the module one merged wqkv (PyTorch's private
    spelling, the hook without the module unless with_module=True)."""
    m, seen = lib.nn.Sequential(lib.nn.Linear(2, 6, bias=False)), []

    def merge(*args):
        seen.append(type(args[0]).__name__ if with_module else len(args))
        state, prefix = args[1:3] if with_module else args[:2]
        if prefix + "wq" in state:
            state[prefix + "weight"] = lib.cat([state.pop(prefix + n) for n in ("wq", "wk", "wv")])

    handle = m[0]._register_load_state_dict_pre_hook(merge, with_module=with_module)
    if remove:
        handle.remove()
    given = {f"0.{n}": lib.full((2, 2), float(i)) for i, n in enumerate(("wq", "wk", "wv"))}
    keys = m.load_state_dict(given, strict=False)
    return None if remove else _values(m[0].weight), sorted(given), tuple(keys), seen  # removed: weight not loaded


def _frozen_batch_norm(lib):
    """DETR's and torchvision's FrozenBatchNorm2d: buffers only, and a _load_from_state_dict override that drops the
    num_batches_tracked entry of a BatchNorm2d checkpoint before the default step."""
    class FrozenBatchNorm2d(lib.nn.Module):
        def __init__(self, n):
            super().__init__()
            for name, fill in (("weight", 1.0), ("bias", 0.0), ("running_mean", 0.0), ("running_var", 1.0)):
                self.register_buffer(name, lib.full((n,), fill))

        def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                  error_msgs):
            state_dict.pop(prefix + "num_batches_tracked", None)
            super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                          error_msgs)

    return FrozenBatchNorm2d


def _load_into_frozen(lib, extra=None, strict=True):
    lib.manual_seed(0)
    trained = lib.nn.Sequential(lib.nn.Conv2d(1, 2, 1, bias=False), lib.nn.BatchNorm2d(2))
    given = {k: v + 0.5 for k, v in trained.state_dict().items() if k != "0.weight"}
    given["0.weight"] = lib.full((2, 1, 1, 1), 2.0)
    given.update(extra or {})
    frozen = lib.nn.Sequential(lib.nn.Conv2d(1, 2, 1, bias=False), _frozen_batch_norm(lib)(2))
    keys = frozen.load_state_dict(given, strict=strict)
    return {k: _values(v) for k, v in frozen.state_dict().items()}, tuple(keys), sorted(given)


def _lora_full_checkpoint(lib):
    """mistral-inference's LoRALinear: a plain ``weight`` (a full checkpoint) is loaded into its frozen ``linear``
    by a _load_from_state_dict override that loads a new dict into the module, and a post hook clears the missing
    LoRA keys."""
    class LoRALinear(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.lora_A, self.lora_B = lib.nn.Linear(3, 1, bias=False), lib.nn.Linear(1, 2, bias=False)
            self.linear = lib.nn.Linear(3, 2, bias=False)
            self.register_load_state_dict_post_hook(lambda m, keys: keys.missing_keys.clear())

        def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
            if prefix + "weight" in state_dict:
                w = state_dict[prefix + "weight"]
                self.load_state_dict({"linear.weight": w, "lora_A.weight": lib.zeros(1, 3),
                                      "lora_B.weight": lib.zeros(2, 1)}, assign=True, strict=True)

    net = lib.nn.Sequential(LoRALinear(), lib.nn.Linear(2, 1, bias=False))
    keys = net.load_state_dict({"0.weight": lib.full((2, 3), 3.0), "1.weight": lib.full((1, 2), 4.0)})
    return {k: _values(v) for k, v in net.state_dict().items()}, tuple(keys)


def _extra_state_round_trip(lib):
    a, b = _counter(lib), _counter(lib)
    a.calls = 5
    state = a.state_dict()
    keys = b.load_state_dict(state)
    return list(state), state["_extra_state"], b.calls, tuple(keys)


def _private_state_dict_hook(lib):
    """Module._register_state_dict_hook (timm's and torchao's): a returned dict replaces the module's own state_dict
    (later hooks see it), not its parent's; a public post-hook must still return None."""
    net = lib.nn.Sequential(lib.nn.Linear(2, 2, bias=False), lib.nn.Linear(2, 1, bias=False))
    net[1]._register_state_dict_hook(lambda mod, sd, prefix, meta: {"child": 1})
    seen = [sorted(net.state_dict())]
    net._register_state_dict_hook(lambda mod, sd, prefix, meta: {"root": len(sd)})
    net._register_state_dict_hook(lambda mod, sd, prefix, meta: dict(sd, second=1))
    seen.append(net.state_dict())
    net.register_state_dict_post_hook(lambda mod, sd, prefix, meta: 3)
    with pytest.raises(RuntimeError, match="must return None"):
        net.state_dict()
    return seen


STATE_HOOK_CASES = {
    "state_dict_pre_hook_arguments": lambda lib: (lambda m, seen: (m.register_state_dict_pre_hook(
        lambda mod, prefix, keep_vars: seen.append((type(mod).__name__, prefix, keep_vars))),
        lib.nn.Sequential(m).state_dict(prefix="net.", keep_vars=True), seen)[2])(_linear(lib), []),
    "state_dict_post_hook_edits_in_place": lambda lib: (lambda m: (m.register_state_dict_post_hook(
        lambda mod, sd, prefix, meta: sd.pop(prefix + "bias") and None), list(lib.nn.Sequential(m).state_dict()))[1])(
        _linear(lib)),
    "state_dict_post_hook_returning_a_value": lambda lib: (lambda m: (m.register_state_dict_post_hook(
        lambda mod, sd, prefix, meta: sd), m.state_dict()))(_linear(lib)),
    "private_state_dict_hook_replaces_the_dict": _private_state_dict_hook,
    "state_dict_hook_removed": lambda lib: (lambda m, seen: (m.register_state_dict_pre_hook(
        lambda *a: seen.append(1)).remove(), m.state_dict(), seen)[2])(_linear(lib), []),
    "load_pre_hook_renames_keys": _renaming_load,
    "private_load_pre_hook_merges_keys": lambda lib: _private_load_pre_hook(lib, with_module=False),
    "private_load_pre_hook_with_module": lambda lib: _private_load_pre_hook(lib, with_module=True),
    "private_load_pre_hook_removed": lambda lib: _private_load_pre_hook(lib, with_module=False, remove=True),
    "load_post_hook_clears_unexpected": lambda lib: (lambda m: (m.register_load_state_dict_post_hook(
        lambda mod, keys: keys.unexpected_keys.clear()), tuple(m.load_state_dict(
            {**m.state_dict(), "extra": lib.ones(1)})))[1])(_linear(lib)),
    "load_post_hook_sees_missing": lambda lib: (lambda m, seen: (m.register_load_state_dict_post_hook(
        lambda mod, keys: seen.append(list(keys.missing_keys))), m.load_state_dict({"weight": lib.ones(2, 2)},
                                                                                   strict=False), seen)[2])(
        _linear(lib), []),
    "load_post_hook_returning_a_value": lambda lib: (lambda m: (m.register_load_state_dict_post_hook(
        lambda mod, keys: keys), m.load_state_dict(m.state_dict())))(_linear(lib)),
    "extra_state_round_trip": _extra_state_round_trip,
    "load_from_state_dict_override_drops_a_key": _load_into_frozen,
    "load_from_state_dict_override_unexpected_key": lambda lib: _load_into_frozen(lib, {"1.scale": lib.ones(2)}),
    "load_from_state_dict_override_not_strict": lambda lib: _load_into_frozen(lib, {"1.scale": lib.ones(2)},
                                                                              strict=False),
    "load_from_state_dict_override_size_mismatch": lambda lib: _load_into_frozen(
        lib, {"1.running_var": lib.ones(3)}, strict=False),
    "load_from_state_dict_override_loads_a_new_dict": _lora_full_checkpoint,
    "extra_state_missing_strict": lambda lib: _counter(lib).load_state_dict(
        {"inner.weight": lib.ones(1, 1), "inner.bias": lib.ones(1)}),
    "extra_state_missing_not_strict": lambda lib: tuple(_counter(lib).load_state_dict(
        {"inner.weight": lib.ones(1, 1), "inner.bias": lib.ones(1)}, strict=False)),
    "extra_state_nested_key": lambda lib: list(lib.nn.Sequential(_counter(lib)).state_dict()),
    "get_extra_state_not_defined": lambda lib: _linear(lib).get_extra_state(),
}


@pytest.mark.parametrize("name", sorted(STATE_HOOK_CASES))
def test_state_dict_hooks_and_extra_state_as_torch(name):
    outcomes = []
    for lib in (torch, anynn):
        try:
            outcomes.append(("ok", STATE_HOOK_CASES[name](lib)))
        except Exception as error:  # noqa: BLE001 - the class is what is compared (PyTorch asserts: RuntimeError here;
            # anynn's StateDictError is a RuntimeError)
            plain = isinstance(error, AssertionError) or type(error).__name__ == "StateDictError"
            outcomes.append(("raise", "RuntimeError" if plain else type(error).__name__))
    assert outcomes[0] == outcomes[1]


def test_a_load_refused_after_the_hooks_leaves_the_module_unchanged():
    m = _linear(anynn)
    before = m.weight.numpy().copy()
    m.register_load_state_dict_post_hook(lambda mod, keys: keys.missing_keys.clear())
    with pytest.raises(RuntimeError, match="size mismatch for bias"):
        m.load_state_dict({"weight": anynn.zeros(2, 2), "bias": anynn.zeros(3)})
    np.testing.assert_array_equal(m.weight.numpy(), before)


def test_hooks_of_every_module_run_before_each_modules_own_as_pytorchs(backend):
    """torch.nn.modules.module.register_module_forward_pre_hook / forward_hook / full_backward_hook: every
    module's call runs them, global ones first; removing them restores plain calls."""
    import importlib

    def run(m, **kw):
        registry = importlib.import_module(m.__name__ + ".nn.modules.module")
        seen = []
        net = m.nn.Sequential(m.nn.Linear(3, 4), m.nn.ReLU(), m.nn.Linear(4, 2)).double()
        with m.no_grad():
            for p in net.parameters():
                p.copy_(m.tensor(np.linspace(-1, 1, p.numel()).reshape(tuple(p.shape))))
        net = net.to(**kw) if kw else net
        net[0].register_forward_hook(lambda mod, a, o: seen.append(("own", type(mod).__name__)))
        doubled = {"ReLU"}
        handles = [
            registry.register_module_forward_pre_hook(lambda mod, a: seen.append(("pre", type(mod).__name__))),
            registry.register_module_forward_hook(
                lambda mod, a, o: o * 2 if type(mod).__name__ in doubled else seen.append(("fwd", type(mod).__name__))),
            registry.register_module_full_backward_pre_hook(lambda mod, go: seen.append(("bpre", type(mod).__name__))),
            registry.register_module_full_backward_hook(lambda mod, gi, go: seen.append(("bwd", type(mod).__name__))),
        ]
        x = m.tensor(np.ones((2, 3)), requires_grad=True, **kw)
        try:
            out = net(x).sum()
            out.backward()
        finally:
            for handle in handles:
                handle.remove()
        plain = net(x).sum()
        return seen, out.item(), plain.item(), x.grad.numpy()

    ours, theirs = run(anynn, device=backend.key), run(torch)
    assert ours[0] == theirs[0] and ours[1:3] == pytest.approx(theirs[1:3], rel=1e-12)
    np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-12)
