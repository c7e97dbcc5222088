"""``torch.hub`` with PyTorch's names: the download cache, ``load_state_dict_from_url`` for safetensors files, and
``load``/``list``/``help`` of a local ``hubconf.py``.

PyTorch's published checkpoints (``.pt``/``.pth``) are pickles, which anynn never opens (a pickle can run code):
``load_state_dict_from_url`` downloads and caches any file as PyTorch's does, returns the state dict of a
safetensors (or ``.npz``) file, and refuses a pickle naming the file it kept and the one-off conversion. A GitHub
repository's ``hubconf.py`` builds PyTorch models with PyTorch, so ``load(..., source="github")`` is refused too;
``source="local"`` runs a directory's own ``hubconf.py``, as PyTorch does.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
import sys
import tempfile
import urllib.parse
import urllib.request
from urllib.parse import urlparse  # noqa: F401 - torch.hub has it in its namespace, and timm imports it from there
from typing import Any, Callable

from .io.torch_files import refuse_torch_pickle
from .io.torch_serialization import load as _load

ENV_TORCH_HOME = "TORCH_HOME"
ENV_XDG_CACHE_HOME = "XDG_CACHE_HOME"
DEFAULT_CACHE_DIR = "~/.cache"
MODULE_HUBCONF = "hubconf.py"
VAR_DEPENDENCY = "dependencies"
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")  # PyTorch's: the hash prefix in "name-<sha256 prefix>.ext"
READ_DATA_CHUNK = 128 * 1024
_hub_dir: str | None = None


def get_dir() -> str:
    """The hub's cache folder: `set_dir`'s, else ``$TORCH_HOME/hub``, else ``$XDG_CACHE_HOME/torch/hub``, else
    ``~/.cache/torch/hub`` (PyTorch's, so both libraries share downloaded files)."""
    if _hub_dir is not None:
        return _hub_dir
    home = os.getenv(ENV_TORCH_HOME) or os.path.join(os.getenv(ENV_XDG_CACHE_HOME, DEFAULT_CACHE_DIR), "torch")
    return os.path.join(os.path.expanduser(home), "hub")


def set_dir(d: str | os.PathLike) -> None:
    """Use ``d`` as the hub's cache folder from now on."""
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


def download_url_to_file(url: str, dst: str, hash_prefix: str | None = None, progress: bool = True) -> None:
    """Download ``url`` to ``dst`` through a temporary file beside it (renamed into place when complete, so an
    interrupted download leaves no partial ``dst``); with ``hash_prefix``, the file's SHA-256 must start with it
    (RuntimeError otherwise, as PyTorch's). ``progress`` is accepted (nothing is printed)."""
    dst = os.path.expanduser(dst)
    folder = os.path.dirname(os.path.abspath(dst))
    os.makedirs(folder, exist_ok=True)
    digest = hashlib.sha256()
    handle, partial = tempfile.mkstemp(prefix=os.path.basename(dst) + ".", suffix=".partial", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(urllib.request.Request(url)) as source:
            while chunk := source.read(READ_DATA_CHUNK):
                out.write(chunk)
                digest.update(chunk)
        if hash_prefix is not None:
            found = digest.hexdigest()
            if not found.startswith(hash_prefix):
                raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got "{found}")')
        shutil.move(partial, dst)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def load_state_dict_from_url(url: str, model_dir: str | None = None, map_location: Any = None, progress: bool = True,
                             check_hash: bool = False, file_name: str | None = None,
                             weights_only: bool = False) -> dict[str, Any]:
    """The state dict stored at ``url``, downloaded once into ``model_dir`` (default ``get_dir()/checkpoints``).

    The file is kept under ``file_name`` (default: the URL's last path part); ``check_hash`` checks the SHA-256
    prefix in the name (``resnet18-f37072fd.pth``), as PyTorch's. A safetensors or ``.npz`` file is read by
    `anynn.load` (``map_location`` as there); a ``torch.save`` pickle is refused (`CorruptFileError`) naming
    the cached file and how to convert it once with PyTorch.
    """
    folder = os.path.join(get_dir(), "checkpoints") if model_dir is None else os.path.expanduser(model_dir)
    os.makedirs(folder, exist_ok=True)
    name = file_name or os.path.basename(urllib.parse.urlparse(url).path)
    cached = os.path.join(folder, name)
    if not os.path.exists(cached):
        found = HASH_REGEX.search(name) if check_hash else None
        download_url_to_file(url, cached, found.group(1) if found else None, progress=progress)
    try:
        refuse_torch_pickle(cached)
    except ValueError as error:
        raise type(error)(cached, f"load_state_dict_from_url: {url} is a torch.save (pickle) checkpoint, and anynn "
                          "never unpickles (a pickle can run code). Convert it once with PyTorch: save the state "
                          "dict that PyTorch's torch.load gives for this file (weights_only=True) with "
                          "`safetensors.torch.save_file(state_dict, 'model.safetensors')`, then load that file (a "
                          "safetensors URL, or anynn.load(path))") \
            from None
    return _load(cached, map_location=map_location)


def _refuse_github(what: str, repo: Any) -> None:
    raise RuntimeError(f"anynn.hub.{what}: {repo!r} names a GitHub repository, whose hubconf.py builds PyTorch models "
                       "with PyTorch's code; anynn does not download and run it. Port the model's code (the import "
                       "swap of the porting guide) and load its weights as safetensors with "
                       "anynn.hub.load_state_dict_from_url, or pass a local folder with source='local'")


def _hubconf(repo_or_dir: str, source: str, what: str) -> Any:
    if source not in ("github", "local"):
        raise ValueError(f'Unknown source: "{source}". Allowed values: "github" | "local".')
    if source == "github":
        _refuse_github(what, repo_or_dir)
    path = os.path.join(os.path.expanduser(repo_or_dir), MODULE_HUBCONF)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"anynn.hub.{what}: no {MODULE_HUBCONF} in {repo_or_dir!r}")
    sys.path.insert(0, os.path.dirname(path))
    try:
        spec = importlib.util.spec_from_file_location("hubconf", path)
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    finally:
        sys.path.remove(os.path.dirname(path))
    missing = [name for name in getattr(module, VAR_DEPENDENCY, []) if importlib.util.find_spec(name) is None]
    if missing:
        raise RuntimeError(f"Missing dependencies: {', '.join(missing)}")
    return module


def _entry(module: Any, model: str) -> Callable[..., Any]:
    if not isinstance(model, str):
        raise ValueError("Invalid input: model should be a string of function name")
    function = getattr(module, model, None)
    if function is None or not callable(function):
        raise RuntimeError(f"Cannot find callable {model} in hubconf")
    return function


def _source(repo_or_dir: Any) -> str:
    return "local" if os.path.isdir(os.path.expanduser(str(repo_or_dir))) else "github"


def list(github: str, force_reload: bool = False, skip_validation: bool = False,  # noqa: A001 - PyTorch's name
         trust_repo: Any = "check", verbose: bool = True) -> list[str]:
    """The entry points of a local folder's ``hubconf.py`` (its public callables); a GitHub repository is refused."""
    module = _hubconf(github, _source(github), "list")
    return [name for name in dir(module) if callable(getattr(module, name)) and not name.startswith("_")]


def help(github: str, model: str, force_reload: bool = False, skip_validation: bool = False,  # noqa: A001
         trust_repo: Any = "check") -> str | None:
    """The docstring of entry point ``model`` of a local folder's ``hubconf.py``."""
    module = _hubconf(github, _source(github), "help")
    return _entry(module, model).__doc__


def load(repo_or_dir: str, model: str, *args: Any, source: str = "github", trust_repo: Any = "check",
         force_reload: bool = False, verbose: bool = True, skip_validation: bool = False, **kwargs: Any) -> Any:
    """``model(*args, **kwargs)`` from the ``hubconf.py`` of a local folder (``source="local"``), as PyTorch's;
    ``source="github"`` is refused (see the module notes) before anything is downloaded."""
    return _entry(_hubconf(repo_or_dir, source, "load"), model)(*args, **kwargs)


__all__ = ["download_url_to_file", "get_dir", "help", "list", "load", "load_state_dict_from_url", "set_dir"]
