"""L-BFGS with PyTorch's algorithm (after minFunc): a closure API, a limited history of curvature
pairs, an optional strong-Wolfe line search."""

from __future__ import annotations

import math
from typing import Any, Callable, Iterable

from ..autograd.mode import enable_grad, no_grad
from ..autograd.tensor import Tensor, mark_modified
from ..backend.typing import Array, Namespace
from ..functional.formulas.conjugate import make_complex
from .complex_params import is_complex_dtype
from .line_search import strong_wolfe
from .optimizer import Optimizer, _copy, _to_param_backend, in_shared_memory

# state entries that are lists (of arrays or floats): the base class handles single arrays and numbers only
_LISTS = ("old_dirs", "old_stps", "ro", "al")


class LBFGS(Optimizer):
    """Limited-memory BFGS over all parameters as one flat vector (one parameter group only).

    ``step(closure)`` runs up to ``max_iter`` iterations (at most ``max_eval`` evaluations of the
    closure, which must clear the gradients, compute the loss, call ``backward()`` and return the
    loss). The direction is the two-loop recursion over the last ``history_size`` pairs
    ``(s, y)``; the step is ``lr`` (``min(1, 1/|g|_1) * lr`` at the very first iteration), or
    is found by the strong-Wolfe line search with ``line_search_fn="strong_wolfe"``. Iterations stop
    when ``max|g| <= tolerance_grad``, or when the step or the loss changes by less than
    ``tolerance_change``. State (history, last direction and step) carries over between calls.
    """

    checked_options = ("lr",)
    state_shaped_like_params = False  # its directions and gradients are flat (numel,) vectors

    def __init__(self, params: Iterable[Any], lr: float = 1, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(f"LBFGS: line_search_fn must be None or 'strong_wolfe', got {line_search_fn!r}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change, history_size=history_size,
                                      line_search_fn=line_search_fn))
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params: list[Tensor] = self.param_groups[0]["params"]

    # -- the flat view of the parameters ------------------------------------------------------------
    @property
    def _xp(self) -> Any:
        return self._params[0].backend.xp

    def _host(self, value: Array) -> float:
        """A 0-d array of the parameters' backend as a host scalar of its dtype (the search branches on it): a
        float32 parameter's scalars stay float32, so the search's arithmetic rounds as PyTorch's 0-d tensors do."""
        host: Any = self._params[0].backend.to_host(value)
        return host[()]  # (NumPy's float32 / float64 scalar)

    def _dot(self, a: Array, b: Array) -> float:
        return self._host(self._xp.sum(a * b))

    def _abs_max(self, a: Array) -> float:
        return self._host(self._xp.max(self._xp.abs(a)))

    def _gather_flat_grad(self) -> Any:
        """Every gradient flattened into one vector; a complex one as its real view (re, im pairs), as PyTorch's."""
        xp = self._xp
        flat = []
        for p in self._params:
            g = p.grad.array if p.grad is not None else xp.zeros_like(p.array)
            if is_complex_dtype(p.backend, g.dtype):
                g = xp.stack([xp.real(g), xp.imag(g)], axis=-1)
            flat.append(xp.reshape(g, (-1,)))
        return xp.concat(flat)

    def _add_grad(self, step_size: float, update: Array) -> None:
        xp = self._xp
        offset = 0
        for p in self._params:
            shape = tuple(p.array.shape)
            complex_ = is_complex_dtype(p.backend, p.array.dtype)
            numel = math.prod(shape) * (2 if complex_ else 1)
            change = update[offset:offset + numel]
            if complex_:  # the (re, im) pairs of its real view
                pairs = xp.reshape(change, shape + (2,))
                change = make_complex(xp, pairs[..., 0], pairs[..., 1], p.array.dtype)
            p.array = in_shared_memory(p.backend, p.array, p.array + float(step_size) * xp.reshape(change, shape))
            mark_modified(p)  # graphs recorded before this change refuse to backward through p
            offset += numel

    def _clone_param(self) -> list[Any]:
        return [self._xp.asarray(p.array, copy=True) for p in self._params]

    def _set_param(self, params_data: list[Any]) -> None:
        for p, data in zip(self._params, params_data, strict=True):
            p.array = in_shared_memory(p.backend, p.array, self._xp.asarray(data, copy=True))
            mark_modified(p)

    def _evaluate(self, closure: Callable[[], Any]) -> tuple[Any, float]:
        with enable_grad():
            loss = closure()
        with no_grad():  # as PyTorch's step (under no_grad): reading the loss gives no requires-grad warning
            return loss, float(loss)

    def _directional_evaluate(self, closure: Callable[[], Any], x: list[Any], t: float, d: Any) -> tuple[float, Any]:
        self._add_grad(t, d)
        loss = self._evaluate(closure)[1]
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    # -- the step --------------------------------------------------------------------------------
    def step(self, closure: Callable[[], Any]) -> Any:  # type: ignore[override]
        """Run up to ``max_iter`` iterations; returns the loss of the first closure call."""
        if closure is None:
            raise RuntimeError("LBFGS.step needs a closure that recomputes the loss and its gradients")
        self._opt_called = True
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]
        xp = self._xp
        state = self.state.setdefault(id(self._params[0]), {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss, loss = self._evaluate(closure)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if self._abs_max(flat_grad) <= tolerance_grad:
            return orig_loss

        # the iteration's memory, restored from the state: None before the first iteration, which sets each one
        d: Any
        old_dirs: Any
        old_stps: Any
        ro: Any
        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        H_diag = state.get("H_diag")
        prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")
        n_iter = 0
        opt_cond = False
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1.0
            else:
                # a new curvature pair (skipped unless y's > 0, which keeps the inverse Hessian positive)
                y = flat_grad - prev_flat_grad
                s = d * float(t)
                ys = self._dot(y, s)
                if ys > 1e-10:
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(float(1.0 / ys))  # (state holds numbers; ys is of the parameters' dtype)
                    H_diag = float(ys / self._dot(y, y))
                # the two-loop recursion: d = -H g
                num_old = len(old_dirs)
                if "al" not in state:
                    state["al"] = [None] * history_size
                al = state["al"]
                q = -flat_grad
                for i in range(num_old - 1, -1, -1):
                    al[i] = float(self._dot(old_stps[i], q) * ro[i])
                    q = q + float(-al[i]) * old_dirs[i]
                r = q * float(H_diag)
                for i in range(num_old):
                    be_i = self._dot(old_dirs[i], r) * ro[i]
                    r = r + float(al[i] - be_i) * old_stps[i]
                d = r
            prev_flat_grad = xp.asarray(flat_grad, copy=True)
            prev_loss = loss
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / self._host(xp.sum(xp.abs(flat_grad)))) * lr
            else:
                t = lr
            gtd = self._dot(flat_grad, d)
            if gtd > -tolerance_change:  # not a descent direction
                break

            ls_func_evals = 0
            if line_search_fn is not None:
                x_init = self._clone_param()

                def obj_func(x: list[Any], step: float, direction: Any) -> tuple[float, Any]:
                    return self._directional_evaluate(closure, x, step, direction)

                loss, flat_grad, t, ls_func_evals = strong_wolfe(
                    obj_func, self._dot, x_init, t, d, loss, flat_grad, gtd, self._abs_max(d),
                    max_ls=max_eval - current_evals)
                self._add_grad(t, d)
                opt_cond = self._abs_max(flat_grad) <= tolerance_grad
            else:
                self._add_grad(t, d)
                if n_iter != max_iter:
                    loss = self._evaluate(closure)[1]
                    flat_grad = self._gather_flat_grad()
                    opt_cond = self._abs_max(flat_grad) <= tolerance_grad
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if self._abs_max(d * float(t)) <= tolerance_change or abs(loss - prev_loss) < tolerance_change:
                break

        state.update(d=d, t=float(t), old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss

    def update(self, param: Array, grad: Array, state: dict[str, Any], group: dict[str, Any],
               xp: Namespace) -> Array:
        raise RuntimeError("LBFGS.step needs a closure that recomputes the loss and its gradients")

    # -- state: the history is a list of arrays --------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        saved = super().state_dict()
        for entries in saved["state"].values():
            for name in _LISTS:
                if isinstance(entries.get(name), list):
                    entries[name] = [_copy(v) for v in entries[name]]
        return saved

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        lists = {key: {name: entries[name] for name in _LISTS if name in entries}
                 for key, entries in state_dict["state"].items()}
        stripped = {**state_dict, "state": {key: {name: v for name, v in entries.items() if name not in _LISTS}
                                            for key, entries in state_dict["state"].items()}}
        super().load_state_dict(stripped)
        params = self._all_params()
        for key, entries in lists.items():
            p = params[int(key)]
            for name, values in entries.items():
                self.state[id(p)][name] = [_to_param_backend(v, p) for v in values]
