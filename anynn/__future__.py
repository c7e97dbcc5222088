"""``anynn.__future__``: PyTorch's ``torch.__future__`` switches for how ``Module.to()`` and friends convert
parameters. anynn always converts a parameter in place (the same `Parameter` object, so an optimizer's references
stay valid), which is what PyTorch's swap path gives; the swap switch is therefore recorded and read back, and the
overwrite switch (new `Parameter` objects on conversion) is refused when turned on."""

_swap = False


def set_swap_module_params_on_conversion(value: bool) -> None:
    """Record PyTorch's swap switch: conversions keep each parameter object either way in anynn."""
    global _swap
    _swap = bool(value)


def get_swap_module_params_on_conversion() -> bool:
    """The value last given to `set_swap_module_params_on_conversion` (False at start, as PyTorch's)."""
    return _swap


def set_overwrite_module_params_on_conversion(value: bool) -> None:
    """PyTorch's overwrite switch; only False (anynn's fixed behaviour) is accepted."""
    if value:
        raise NotImplementedError("set_overwrite_module_params_on_conversion(True): anynn converts parameters in "
                                  "place (Module.to keeps each Parameter object); assign new nn.Parameter objects "
                                  "yourself after the conversion if you need fresh ones")


def get_overwrite_module_params_on_conversion() -> bool:
    """Always False: anynn converts parameters in place."""
    return False


__all__ = ["get_overwrite_module_params_on_conversion", "get_swap_module_params_on_conversion",
           "set_overwrite_module_params_on_conversion", "set_swap_module_params_on_conversion"]
