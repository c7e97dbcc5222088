"""``torch._inductor.config``: Inductor's settings with PyTorch's defaults, kept and read back; anynn's step
compiler reads none of them (see `anynn._dynamo.settings`)."""

from .._dynamo.pytorch_settings import INDUCTOR
from .._dynamo.settings import Section, make_settings

coordinate_descent_tuning = False
coordinate_descent_check_all_directions = False
fx_graph_cache = True
fx_graph_remote_cache = None
autotune_local_cache = True
epilogue_fusion = True
max_autotune = False
max_autotune_gemm = False
freezing = False
aggressive_fusion = False
benchmark_kernel = False
debug = False
conv_1x1_as_mm = False
shape_padding = True
comprehensive_padding = True
cpp_wrapper = False
split_reductions = True
triton = Section(f"{__name__}.triton", unique_kernel_names=True, cudagraphs=False, cudagraph_trees=True,
                 autotune_pointwise=True, cudagraph_skip_dynamic_graphs=False, store_cubin=False)

make_settings(__name__, INDUCTOR)
