"""What a compiled step refuses, and the errors that say so.

A compiled step is traced (JAX) or recorded (a CUDA graph) once and replayed: nothing in it may need the
*value* of an array while it runs, and every change it makes must be to state `anynn.compile` carries
in and out. `CompiledStepError` names the operation that broke a rule and where it was called.
"""

from __future__ import annotations

import os
import traceback
from types import TracebackType

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # .../anynn
_HOST_READS = {"item": "Tensor.item()", "__float__": "float(tensor)", "__int__": "int(tensor)",
               "__bool__": "bool(tensor) (an `if`/`while` on a tensor's value)", "__index__": "a tensor as an index",
               "tolist": "Tensor.tolist()", "numpy": "Tensor.numpy()", "__array__": "numpy.asarray(tensor)",
               "__len__": "len(tensor)", "__iter__": "iterating over a tensor", "__format__": "formatting a tensor",
               "__repr__": "printing a tensor", "__str__": "printing a tensor", "to_host": "a copy to the host",
               "asnumpy": "a copy to the host", "get": "a copy to the host",
               "_found_inf": "GradScaler.step() or unscale_() (whether the gradients hold inf/NaN, to skip the step)"}
_HOST_READS["unscale_"] = _HOST_READS["_found_inf"]  # (unscale_ notes that for step(), which step() calls)
# samplers NumPy runs on the host, reading their parameters' values (a Gamma draw records: draws.gamma_in_graph)
_HOST_READS.update({f"{kind}_sample": f"a {law} draw (NumPy's sampler, on the host)" for kind, law in (
    ("poisson", "Poisson"), ("binomial", "Binomial"), ("negative_binomial", "NegativeBinomial"),
    ("multinomial", "Multinomial"), ("von_mises", "VonMises"), ("standard_gamma", "Gamma"))})
_HOST_READS.update(poisson="anynn.poisson() (NumPy's sampler, on the host)",
                   binomial="anynn.binomial() (NumPy's sampler, on the host)")
_GENERIC_FIX = ("Return the tensor from the step and read it after the call (`loss = step(x, y); loss.item()`), or "
                "compute with tensors (anynn.where instead of `if`).")
_FIXES = {_HOST_READS["_found_inf"]: "Call scaler.step(optimizer) and scaler.update() after the compiled step, which "
                                      "ends with scaler.scale(loss).backward() (its scale goes in as an input), and "
                                      "scaler.unscale_(optimizer) with any gradient clipping after it too; "
                                      "float32 and bfloat16 training needs no loss scaling."}


class CompiledStepError(RuntimeError):
    """A compiled step did something only an eager step can do (named in the message, with the fix)."""


def host_read_error(exc: BaseException, tb: TracebackType | None, backend: str) -> CompiledStepError:
    """`CompiledStepError` for ``exc``, raised because the step read an array's value on the host.

    The message names the operation (``Tensor.item()``, ``float(tensor)``...) and the line of the step.
    """
    operation, where = describe_host_read(tb)
    what = f"{operation} reads a value back to the host" if operation else "the step reads a value back to the host"
    return CompiledStepError(
        f"anynn.compile ({backend}): {what} inside a compiled step{where}. Values do not exist until the whole "
        "step has run, so a compiled step cannot read them (no .item(), float(), int(), bool(), .tolist(), "
        f"print of a tensor's values, and no Python `if` on a tensor's value). {_FIXES.get(operation, _GENERIC_FIX)} "
        f"[{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}]")


def describe_host_read(tb: TracebackType | None) -> tuple[str, str]:
    """(the operation, `` at file:line: `code` ``) of the innermost anynn call and user line in ``tb``."""
    frames = traceback.extract_tb(tb)
    operation, where = "", ""
    own = os.path.join(_PACKAGE, "compile") + os.sep
    for frame in frames:  # outermost first: the public operation the step called, not its helpers
        path = os.path.abspath(frame.filename)
        if path.startswith(_PACKAGE + os.sep) and not path.startswith(own) and frame.name in _HOST_READS:
            operation = _HOST_READS[frame.name]
            break
    for frame in reversed(frames):
        path = os.path.abspath(frame.filename)
        in_anynn = path.startswith(_PACKAGE + os.sep)
        if not in_anynn and "site-packages" not in path and "dist-packages" not in path and not where:
            where = f" (at {os.path.basename(frame.filename)}:{frame.lineno}: `{(frame.line or '').strip()}`)"
            if not operation:
                operation = _operation_in_line(frame.line or "")
            break
    if not operation:  # the read happened inside anynn's own code: name that function
        for frame in reversed(frames):
            if os.path.abspath(frame.filename).startswith(_PACKAGE + os.sep) and "compile" not in frame.filename:
                operation = f"{frame.name}() ({os.path.relpath(frame.filename, os.path.dirname(_PACKAGE))}:" \
                            f"{frame.lineno})"
                break
    return operation, where


def _operation_in_line(line: str) -> str:
    """The host read a source line most likely makes (for reads that happen in the array library itself)."""
    for needle, name in ((".item()", "Tensor.item()"), ("float(", "float(tensor)"), ("int(", "int(tensor)"),
                         ("bool(", "bool(tensor)"), (".tolist()", "Tensor.tolist()"), (".numpy()", "Tensor.numpy()"),
                         ("print(", "printing a tensor"), ("if ", "an `if` on a tensor's value"),
                         ("while ", "a `while` on a tensor's value")):
        if needle in line:
            return name
    return ""


def side_effect_error(what: str, fix: str) -> CompiledStepError:
    """`CompiledStepError` for a Python-side change the compiled program could not replay."""
    return CompiledStepError(f"anynn.compile: {what} inside a compiled step; the compiled program would replay "
                             f"the value of the first call forever. {fix}")


def leaked_value_error(exc: BaseException, label: str, in_branch: bool, where: str) -> CompiledStepError:
    """`CompiledStepError` for an array traced in one trace and used in another (the library's leaked tracer): a cond
    branch changed state (``in_branch``), or the step kept a traced tensor outside its state (an outer list, a
    global) and a later trace read it. ``where``: the line that made the value."""
    made = f" (the value was made at {where})" if where else ""
    first = str(exc).splitlines()[0] if str(exc) else ""
    if in_branch:
        return CompiledStepError(
            f"anynn.compile ({label}): a branch of cond inside a compiled step changed state{made}: a value it "
            "computed was kept outside the branch (a batch norm's running statistics in training mode, a tensor "
            "written in place, an attribute or a list set). Both branches are traced and the program picks one when it "
            "runs, so as torch.cond's, the branches must be functions of their operands that change nothing: put the "
            f"layer in eval mode, or call it outside the cond and pass its result in. [{type(exc).__name__}: {first}]")
    return CompiledStepError(
        f"anynn.compile ({label}): a tensor traced in an earlier trace of the compiled step was kept outside the "
        f"step's state and used again{made}: a traced value exists only while its trace runs. Return tensors from the "
        "step instead of keeping them in an outer list, a global or a plain attribute (register a buffer for state "
        f"the step changes). [{type(exc).__name__}: {first}]")
