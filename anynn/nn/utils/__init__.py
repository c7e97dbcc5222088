"""``anynn.nn.utils``: gradient clipping and flat parameter vectors under PyTorch's names."""

from ...optim.clip import clip_grad_norm_, clip_grad_value_
from . import rnn
from .convert_parameters import parameters_to_vector, vector_to_parameters

clip_grad_norm = clip_grad_norm_  # PyTorch's deprecated spelling

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "rnn",
           "vector_to_parameters"]
