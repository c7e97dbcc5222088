"""``torch.utils.model_zoo``: ``load_url`` is `anynn.hub.load_state_dict_from_url`, as in PyTorch."""

from __future__ import annotations

from ..hub import load_state_dict_from_url

load_url = load_state_dict_from_url

__all__ = ["load_url"]
