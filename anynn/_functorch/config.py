"""``torch._functorch.config``: AOTAutograd's settings with PyTorch's defaults, kept and read back; anynn's step
compiler reads none of them (see `anynn._dynamo.settings`)."""

from .._dynamo.pytorch_settings import FUNCTORCH
from .._dynamo.settings import make_settings

enable_autograd_cache = True
donated_buffer = True
activation_memory_budget = 1.0

make_settings(__name__, FUNCTORCH)
