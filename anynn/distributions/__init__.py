"""``anynn.distributions``: PyTorch's ``torch.distributions`` names (`Categorical`, `Normal`).

``log_prob``/``entropy``/``rsample`` are recorded in the graph (differentiable in the parameters); samples
come from anynn's generators, so they follow PyTorch's laws with other numbers.
"""

from .categorical import Categorical
from .distribution import Distribution
from .normal import Normal

__all__ = ["Categorical", "Distribution", "Normal"]
