"""Saving and loading: weights, checkpoints, atomic writes, file validation and DLPack interop.

No pickle anywhere: weights are safetensors (or ``.npz`` read with pickling disabled), checkpoints
are one safetensors file with JSON metadata, and every write is atomic.
"""

from .atomic import AtomicWriteError, atomic_open, atomic_write
from .checkpoint import load_checkpoint, save_checkpoint
from .interop import from_dlpack
from .file_checks import CorruptFileError, read_safetensors_header
from .weights import load, load_arrays, load_metadata, save

__all__ = ["AtomicWriteError", "CorruptFileError", "atomic_open", "atomic_write", "from_dlpack", "load",
           "load_arrays", "load_checkpoint", "load_metadata", "read_safetensors_header", "save",
           "save_checkpoint"]
