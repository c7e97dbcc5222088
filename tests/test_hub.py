"""`anynn.hub` (``torch.hub``) without the network: downloads from ``file://`` URLs into a temporary cache,
safetensors state dicts loaded, PyTorch's hash check and cache folder rules, pickles and GitHub repositories
refused with the way around, and a local ``hubconf.py`` run as PyTorch runs it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import torch

import anynn
from anynn import hub, nn
from anynn.io.file_checks import CorruptFileError
from anynn.utils import model_zoo  # torch.utils.model_zoo, imported as PyTorch programs do


def _weights(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    model = nn.Linear(3, 2, seed=0)
    source = tmp_path / "served" / "linear.safetensors"
    source.parent.mkdir()
    anynn.save(model.state_dict(), source)
    return source, {k: v.numpy() for k, v in model.state_dict().items()}


def test_a_safetensors_state_dict_downloads_once_into_the_cache(tmp_path):
    source, expected = _weights(tmp_path)
    cache = tmp_path / "cache"
    state = hub.load_state_dict_from_url(source.as_uri(), model_dir=str(cache))
    assert sorted(state) == sorted(expected) and all(np.array_equal(state[k].numpy(), expected[k]) for k in state)
    assert [p.name for p in cache.iterdir()] == ["linear.safetensors"]  # nothing partial left beside it
    source.unlink()  # the cached copy is read from now on
    again = model_zoo.load_url(source.as_uri(), model_dir=str(cache), map_location="cpu")
    assert np.array_equal(again["weight"].numpy(), expected["weight"])
    nn.Linear(3, 2).load_state_dict(again)


def test_the_hash_in_the_file_name_is_checked_as_torch(tmp_path):
    source, _ = _weights(tmp_path)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    good = source.with_name(f"linear-{digest[:8]}.safetensors")
    source.rename(good)
    hub.load_state_dict_from_url(good.as_uri(), model_dir=str(tmp_path / "ok"), check_hash=True)
    wrong = good.with_name("linear-00000000.safetensors")
    good.rename(wrong)
    for lib in (hub, torch.hub):  # PyTorch checks before it reads the file, so its message is the same
        with pytest.raises(RuntimeError, match='invalid hash value .expected "00000000", got "' + digest):
            lib.load_state_dict_from_url(wrong.as_uri(), model_dir=str(tmp_path / lib.__name__), check_hash=True)
        assert not any((tmp_path / lib.__name__).iterdir())


def test_a_torch_pickle_checkpoint_is_refused_naming_the_cached_file_and_the_conversion(tmp_path):
    served = tmp_path / "resnet.pth"
    torch.save({"weight": torch.ones(2, 2)}, served)
    assert torch.hub.load_state_dict_from_url(served.as_uri(), model_dir=str(tmp_path / "t"))["weight"].sum() == 4
    with pytest.raises(CorruptFileError, match="torch.save .pickle. checkpoint.*never unpickles.*save_file") as info:
        hub.load_state_dict_from_url(served.as_uri(), model_dir=str(tmp_path / "a"))
    assert info.value.path == str(tmp_path / "a" / "resnet.pth")  # downloaded and kept, for the conversion


def test_cache_folder_follows_torch_home_and_set_dir_as_torch(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(hub, "_hub_dir", None)
    assert hub.get_dir() == torch.hub.get_dir() == str(tmp_path / "home" / "hub")
    monkeypatch.delenv("TORCH_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hub.get_dir() == torch.hub.get_dir()
    hub.set_dir(tmp_path / "mine")
    assert hub.get_dir() == str(tmp_path / "mine")
    source, _ = _weights(tmp_path)
    hub.load_state_dict_from_url(source.as_uri())
    assert (tmp_path / "mine" / "checkpoints" / "linear.safetensors").is_file()


def test_the_names_timm_imports_from_torch_hub():
    # timm/models/_hub.py: ``from torch.hub import HASH_REGEX, download_url_to_file, urlparse``
    from anynn.hub import HASH_REGEX, download_url_to_file, urlparse  # noqa: F401

    assert urlparse is torch.hub.urlparse
    assert HASH_REGEX.search("resnet18-f37072fd.pth").group(1) == torch.hub.HASH_REGEX.search(
        "resnet18-f37072fd.pth").group(1)


def test_download_url_to_file_writes_through_a_temporary_file(tmp_path):
    source, _ = _weights(tmp_path)
    hub.download_url_to_file(source.as_uri(), str(tmp_path / "copy" / "x.bin"))
    assert (tmp_path / "copy" / "x.bin").read_bytes() == source.read_bytes()
    with pytest.raises(RuntimeError, match="invalid hash value"):
        hub.download_url_to_file(source.as_uri(), str(tmp_path / "copy" / "y.bin"), hash_prefix="ffff")
    assert sorted(p.name for p in (tmp_path / "copy").iterdir()) == ["x.bin"]


def test_a_github_repository_is_refused_before_any_download(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the network was used")

    monkeypatch.setattr("urllib.request.urlopen", no_network)
    for call in (lambda: hub.load("pytorch/vision", "resnet18", weights=None), lambda: hub.list("pytorch/vision"),
                 lambda: hub.help("pytorch/vision", "resnet18")):
        with pytest.raises(RuntimeError, match="GitHub repository.*hubconf.py.*source='local'"):
            call()


def test_a_local_hubconf_is_run_as_torch_runs_it(tmp_path):
    (tmp_path / "hubconf.py").write_text(
        "import anynn\n\ndependencies = ['numpy']\n\n\ndef tiny(width=2):\n    \"\"\"A tiny layer.\"\"\"\n"
        "    return anynn.nn.Linear(3, width)\n\n\ndef _private():\n    pass\n")
    model = hub.load(str(tmp_path), "tiny", 4, source="local")
    assert isinstance(model, nn.Linear) and model.out_features == 4
    assert hub.list(str(tmp_path)) == ["tiny"] and hub.help(str(tmp_path), "tiny") == "A tiny layer."
    with pytest.raises(RuntimeError, match="Cannot find callable missing in hubconf"):
        hub.load(str(tmp_path), "missing", source="local")
    (tmp_path / "hubconf.py").write_text("dependencies = ['no_such_package_anywhere']\n")
    with pytest.raises(RuntimeError, match="Missing dependencies: no_such_package_anywhere"):
        hub.load(str(tmp_path), "tiny", source="local")
