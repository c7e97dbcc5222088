"""Views and their sources: which views were taken from a tensor, and taking them again after it changes.

PyTorch's views share their source's storage, so a view taken before an in-place change of the source shows the new
values. anynn's view operations (`Function.makes_view`: basic indexing, reshape, permute, split; a diagonal, which
is a gathered copy) note each view on its source (`note_views`, weak references); an in-place change that gives the
source a new array (one recorded while gradients are, any change on an immutable library) takes the views again
(`refresh_views`). The other direction, a change of a view reaching its source, is
`anynn.functional.inplace.write_back_to_base`.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from typing import Any, Iterator

from ..backend.arrays import index_copies
from . import tensor as _tensors_module
from .tensor import Tensor, make_tensor, mark_modified, note_new_producer


class ViewRefs(list):
    """Weak references to the views taken from one tensor (``tensor.__dict__["_views"]``); ``sweep_at``: the length
    at which the dead ones are dropped (twice the live ones after each sweep)."""

    __slots__ = ("sweep_at",)
    sweep_at: int


def note_views(source: Any, views: tuple[Tensor, ...]) -> None:
    """Remember (weakly) that ``views`` were taken from ``source``: an in-place change that gives ``source`` a new
    array takes them again from it (`refresh_views`), as PyTorch's views, which share the storage, see every
    change."""
    if not isinstance(source, Tensor):
        return
    found = source.__dict__.get("_views")
    if found is None:
        found = source.__dict__["_views"] = ViewRefs()
        found.sweep_at = 16
    for view in views:
        found.append(weakref.ref(view))
    if len(found) > found.sweep_at:
        found[:] = [ref for ref in found if ref() is not None]
        found.sweep_at = 2 * len(found) + 16


_changing = threading.local()  # .views: the views whose change is being handed to their sources, in this thread


@contextlib.contextmanager
def handing_to_source(view: Tensor) -> Iterator[None]:
    """While ``view``'s change is written into its source (`anynn.functional.inplace.write_back_to_base`): the
    source's views are taken again, but ``view`` already holds its values and is left alone."""
    changing = getattr(_changing, "views", ())
    _changing.views = (*changing, view)
    try:
        yield
    finally:
        _changing.views = changing


def refresh_views(t: Tensor, rebound: bool = True) -> None:
    """After an in-place change of ``t``: the live views taken from it (`note_views`) are taken again, so they show
    the new values, as PyTorch's views sharing ``t``'s storage do. ``rebound``: ``t`` got a new array, so every view
    is taken again; else (the change was written into ``t``'s array, which views of it share) only those whose
    array is a copy (a diagonal, `copied_view_source`). While recording, a view's gradient then flows through the
    change too; a Function recorded earlier with the view as an input keeps its old producer
    (`note_new_producer`). Views of those views follow. A view whose change is being handed to ``t``
    (`write_back_to_base`) already holds its values and is left alone."""
    found = t.__dict__.get("_views")
    if not found:
        return
    changing = getattr(_changing, "views", ())
    for ref in list(found):
        view = ref()
        if view is None or any(view is c for c in changing):
            continue
        if not (rebound or copied_view_source(view)):  # it shares t's array: only copies taken from it may lag
            refresh_views(view, False)
            continue
        fn = view.__dict__.get("_view_of", view._ctx)
        inputs = getattr(fn, "inputs", None)
        again = getattr(fn, "view_again", None)
        if again is None or not fn.makes_view or not inputs or inputs[0] is not t:
            continue  # no longer a view of t (t.data = ...), or a copy (a reshape of a transposed tensor)
        new = again(t, view._index)
        if new is None or tuple(new.shape) != tuple(view.array.shape):
            continue
        before = make_tensor(view.array, view.backend, view._ctx, view._index)
        if new._ctx is not None:  # recorded: the view becomes the output of the new view of t
            view.array, view._ctx, view._index, view._requires_grad = new.array, new._ctx, new._index, True
            view.__dict__["_view_of"] = new._ctx
        else:  # nothing recorded: new values, the graph as it was
            view.array = new.array
            view.__dict__["_view_of"] = new.__dict__["_view_of"]
        # a new array: a Function that read the view refuses backward only if it saved the old one (as PyTorch's
        # shared version counter makes it refuse), else its gradient goes where it went before
        mark_modified(view)
        note_new_producer(view, before)
        refresh_views(view)


_tensors_module.refresh_views_hook[0] = refresh_views


def view_root(t: Tensor) -> Tensor:
    """The tensor ``t`` is a view of, through every view operation (``t`` itself where it is no view)."""
    while True:
        fn = t.__dict__.get("_view_of", t._ctx)
        inputs = getattr(fn, "inputs", None)
        if not getattr(fn, "makes_view", False) or not inputs or not isinstance(inputs[0], Tensor):
            return t
        t = inputs[0]


def refresh_after_change(t: Tensor, rebound: bool) -> None:
    """After an in-place change of ``t``: its views are taken again where it got a new array; where the change was
    written into an array it shares with its source and that source's other views, the copies among all the views
    of the tensor at the root (a diagonal of a sibling view) are read again."""
    refresh_views(t if rebound else view_root(t), rebound)


def copied_view_source(t: Tensor) -> Any:
    """The Function that made ``t`` where ``t`` is a view whose array is a copy (`Function.view_is_copy`: a
    diagonal; any view on a library whose indexing copies, `index_copies`: ndonnx's recorded values): a change
    written into that array must still be passed on to the source. None otherwise."""
    source = t.__dict__.get("_view_of", t._ctx)
    if getattr(source, "view_is_copy", False) or (getattr(source, "makes_view", False) and index_copies(t.array)):
        return source
    return None


def copy_holding(t: Tensor) -> tuple[Tensor, Any] | None:
    """After a change written into ``t``'s array: the nearest tensor along ``t``'s chain of views (``t`` first)
    whose array is a copy (`copied_view_source`), with the Function that made it. The views between share that
    array, so it holds the change, and it must pass it on to its source (``x.diagonal()[0].add_(1)`` reaches
    ``x``). None where the chain shares the root's array throughout."""
    while True:
        source = copied_view_source(t)
        if source is not None:
            return t, source
        fn = t.__dict__.get("_view_of", t._ctx)
        inputs = getattr(fn, "inputs", None)
        if not getattr(fn, "makes_view", False) or not inputs or not isinstance(inputs[0], Tensor):
            return None
        t = inputs[0]
