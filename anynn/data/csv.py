"""`load_csv`: a numeric table from a delimited text file, split into features and target."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Union

import numpy as np

PathLike = Union[str, "os.PathLike[str]"]
_MISSING = ("", "na", "nan", "null", "none", "?")


def load_csv(path: PathLike, target_column: int | str | None = -1, delimiter: str = ",", header: bool = True,
             return_classes: bool = False) -> tuple[np.ndarray, ...]:
    """Read a CSV of numbers into features ``X`` and target ``y``.

    Parameters
    ----------
    path : str or path
        The file.
    target_column : int, str or None
        The target's column: an index (negative counts from the end; the last column by default) or,
        with a header, its name. ``None``: no target; ``y`` is an empty array.
    delimiter : str
        Field separator (``","``; ``";"`` or ``"\\t"`` for other dialects).
    header : bool
        The first row holds column names.
    return_classes : bool
        Also return the class names of a text target (``None`` for a numeric one).

    Returns
    -------
    X : numpy.ndarray, float32, shape ``(n, n_features)``
        Empty cells and ``NA``/``nan``/``?`` become NaN.
    y : numpy.ndarray, shape ``(n,)``
        int64 if every target value is a whole number, float32 if numeric otherwise; a text target is
        encoded as int64 indices into its sorted class names.
    classes : list of str or None
        Only with ``return_classes``.

    Raises
    ------
    ValueError
        A feature cell is not a number, rows have different lengths, or the target column does not
        exist; the message names the file, line and column.
    """
    path = Path(path)
    name = str(path)
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = [(line, row) for line, row in enumerate(csv.reader(f, delimiter=delimiter), start=1) if row]
    names: list[str] | None = None
    if header:
        if not rows:
            raise ValueError(f"load_csv: {name!r} is empty (no header row)")
        names = [n.strip() for n in rows[0][1]]
        rows = rows[1:]
    width = len(names) if names is not None else (len(rows[0][1]) if rows else 0)
    for line, row in rows:
        if len(row) != width:
            raise ValueError(f"load_csv: {name!r} line {line} has {len(row)} fields, expected {width}")
    target = _target_index(target_column, names, width, name)
    feature_columns = [c for c in range(width) if c != target]
    X = np.empty((len(rows), len(feature_columns)), dtype=np.float32)
    for r, (line, row) in enumerate(rows):
        for k, c in enumerate(feature_columns):
            X[r, k] = _number(row[c], name, line, c if names is None else f"{c} ({names[c]!r})")
    classes = None
    if target is None:
        y = np.empty((0,), dtype=np.float32)
    else:
        y, classes = _target_values([row[target].strip() for _, row in rows])
    return (X, y, classes) if return_classes else (X, y)


def _target_index(target: int | str | None, names: list[str] | None, width: int, file: str) -> int | None:
    if target is None:
        return None
    if isinstance(target, str):
        if names is None:
            raise ValueError(f"load_csv: target_column {target!r} is a name, but {file!r} is read without a header "
                             "(header=False); give its index instead")
        if target not in names:
            raise ValueError(f"load_csv: {file!r} has no column {target!r}; its columns are {names}")
        return names.index(target)
    if not -width <= target < width:
        raise ValueError(f"load_csv: target_column {target} is out of range for {file!r} with {width} columns")
    return target % width


def _number(text: str, file: str, line: int, column: object) -> float:
    text = text.strip()
    if text.lower() in _MISSING:
        return float("nan")
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"load_csv: {file!r} line {line}, column {column}: {text!r} is not a number "
                         "(only the target column may hold text)") from None


def _target_values(values: list[str]) -> tuple[np.ndarray, list[str] | None]:
    try:
        numbers = np.array([float(v) for v in values], dtype=np.float64)
    except ValueError:
        classes = sorted(set(values))
        lookup = {c: i for i, c in enumerate(classes)}
        return np.array([lookup[v] for v in values], dtype=np.int64), classes
    if numbers.size and np.all(np.isfinite(numbers)) and np.all(numbers == np.round(numbers)):
        return numbers.astype(np.int64), None
    return numbers.astype(np.float32), None
