"""IDX files (the MNIST format) and the MNIST / Fashion-MNIST file sets a user keeps on disk.

Nothing here downloads anything: point `load_mnist` at a folder holding the four files.

IDX layout: two zero bytes, a dtype code, the number of dimensions ``ndim``; then ``ndim`` big-endian
uint32 sizes; then the data, big-endian, in C order. Files may be gzip-compressed (detected by their
first bytes, not by their name).
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path
from typing import Union

import numpy as np

PathLike = Union[str, "os.PathLike[str]"]

# IDX dtype code -> big-endian NumPy dtype
IDX_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"

MNIST_SOURCES = (
    "MNIST: https://ossci-datasets.s3.amazonaws.com/mnist/ (mirror of http://yann.lecun.com/exdb/mnist/); "
    "Fashion-MNIST: https://github.com/zalandoresearch/fashion-mnist (data/fashion/)"
)


def _read_bytes(path: Path) -> bytes:
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"IDX file {str(path)!r} looks gzip-compressed but cannot be decompressed "
                         f"(truncated or corrupt download?): {exc}") from None


def load_idx(path: PathLike) -> np.ndarray:
    """Read an IDX file (raw or gzip) into a NumPy array.

    Parameters
    ----------
    path : str or path
        The file, e.g. ``train-images-idx3-ubyte`` or ``train-images-idx3-ubyte.gz``.

    Returns
    -------
    numpy.ndarray
        Shape and dtype from the header (``uint8``, ``int8``, ``int16``, ``int32``, ``float32``,
        ``float64``), in native byte order.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        The magic number is wrong, or the file is shorter or longer than its header says; the message
        names the file and what was wrong.
    """
    path = Path(path)
    raw = _read_bytes(path)
    name = str(path)
    if len(raw) < 4:
        raise ValueError(f"IDX file {name!r} is truncated: {len(raw)} bytes, shorter than the 4-byte magic number")
    if raw[0] != 0 or raw[1] != 0:
        raise ValueError(f"{name!r} is not an IDX file: its magic number starts with bytes "
                         f"{raw[0]:#04x} {raw[1]:#04x}, expected 0x00 0x00")
    code, ndim = raw[2], raw[3]
    if code not in IDX_DTYPES:
        known = ", ".join(f"{c:#04x} ({d.name})" for c, d in IDX_DTYPES.items())
        raise ValueError(f"IDX file {name!r} has unknown dtype code {code:#04x} in its magic number; known: {known}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"IDX file {name!r} is truncated: its header needs {header} bytes for {ndim} "
                         f"dimension sizes, the file has {len(raw)}")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    got = len(raw) - header
    if got < expected:
        raise ValueError(f"IDX file {name!r} is truncated: shape {shape} of {dtype.name} needs {expected} data "
                         f"bytes, the file has {got}")
    if got > expected:
        raise ValueError(f"IDX file {name!r} has {got - expected} bytes beyond the {expected} its header "
                         f"(shape {shape}, {dtype.name}) describes; is it an IDX file?")
    data = np.frombuffer(raw, dtype=dtype, count=expected // dtype.itemsize, offset=header)
    return data.astype(dtype.newbyteorder("="), copy=True).reshape(shape)


def _mnist_file(folder: Path, kind: str, part: str, rank: int) -> Path | None:
    """The first of ``{kind}-{part}-idx{rank}-ubyte[.gz]`` (or with ``.`` before ``idx``) that exists."""
    for sep in ("-", "."):
        for suffix in ("", ".gz"):
            candidate = folder / f"{kind}-{part}{sep}idx{rank}-ubyte{suffix}"
            if candidate.is_file():
                return candidate
    return None


def load_mnist(folder: PathLike, kind: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Load MNIST or Fashion-MNIST images and labels from IDX files in ``folder``.

    Parameters
    ----------
    folder : str or path
        A folder holding ``{kind}-images-idx3-ubyte`` and ``{kind}-labels-idx1-ubyte``, each raw or
        ``.gz`` (the names MNIST and Fashion-MNIST are distributed under). Nothing is downloaded.
    kind : {"train", "t10k"}
        The training set (60000 images) or the test set (10000).

    Returns
    -------
    images : numpy.ndarray, uint8, shape ``(n, 28, 28)``
    labels : numpy.ndarray, int64, shape ``(n,)``

    Raises
    ------
    FileNotFoundError
        A file is missing; the message lists the expected names and where to download them.
    ValueError
        A file is not a valid IDX file, or images and labels disagree.
    """
    if kind not in ("train", "t10k"):
        raise ValueError(f"load_mnist: kind must be 'train' or 't10k', got {kind!r}")
    folder = Path(folder)
    images_path = _mnist_file(folder, kind, "images", 3)
    labels_path = _mnist_file(folder, kind, "labels", 1)
    if images_path is None or labels_path is None:
        missing = [f"{kind}-images-idx3-ubyte[.gz]"] if images_path is None else []
        missing += [f"{kind}-labels-idx1-ubyte[.gz]"] if labels_path is None else []
        raise FileNotFoundError(
            f"load_mnist: {' and '.join(missing)} not found in {str(folder)!r}. Expected the files "
            f"{kind}-images-idx3-ubyte and {kind}-labels-idx1-ubyte (raw or .gz) there; anynn downloads "
            f"nothing, so download them yourself: {MNIST_SOURCES}"
        )
    images = load_idx(images_path)
    labels = load_idx(labels_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"load_mnist: {str(images_path)!r} holds {images.dtype} of shape {images.shape}, "
                         "expected uint8 images of shape (n, rows, cols)")
    if labels.ndim != 1:
        raise ValueError(f"load_mnist: {str(labels_path)!r} holds shape {labels.shape}, expected labels of shape (n,)")
    if labels.shape[0] != images.shape[0]:
        raise ValueError(f"load_mnist: {images.shape[0]} images in {str(images_path)!r} but {labels.shape[0]} "
                         f"labels in {str(labels_path)!r}")
    return images, labels.astype(np.int64)
