"""``anynn.utils.data._utils.collate``: PyTorch's module of the collate functions, `anynn.data.collate`'s.

``collate(batch, collate_fn_map=...)`` walks mappings, namedtuples and sequences and hands each leaf batch to the
map's function for its type; `default_collate` is it with `default_collate_fn_map`, which a program may extend.
"""

from ....data.collate import (collate, collate_float_fn, collate_int_fn, collate_numpy_array_fn,
                              collate_numpy_scalar_fn, collate_str_fn, collate_tensor_fn, default_collate,
                              default_collate_err_msg_format, default_collate_fn_map, default_convert,
                              np_str_obj_array_pattern)

__all__ = ["collate", "collate_float_fn", "collate_int_fn", "collate_numpy_array_fn", "collate_numpy_scalar_fn",
           "collate_str_fn", "collate_tensor_fn", "default_collate", "default_collate_err_msg_format",
           "default_collate_fn_map", "default_convert", "np_str_obj_array_pattern"]
