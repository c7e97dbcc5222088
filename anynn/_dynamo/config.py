"""``torch._dynamo.config``: TorchDynamo's settings with PyTorch's defaults, kept and read back; anynn's step
compiler reads none of them (see `anynn._dynamo.settings`)."""

from .pytorch_settings import DYNAMO
from .settings import make_settings

cache_size_limit = 8
accumulated_cache_size_limit = 256
recompile_limit = 8
suppress_errors = False
verbose = False
capture_scalar_outputs = False
capture_dynamic_output_shape_ops = False
optimize_ddp = True
automatic_dynamic_shapes = True
assume_static_by_default = True
compiled_autograd = False
specialize_int = False
force_parameter_static_shapes = True
guard_nn_modules = True
log_compilation_metrics = True

make_settings(__name__, DYNAMO)
