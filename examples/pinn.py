"""A physics-informed network: solve the 1-D Poisson problem u''(x) = f(x) on [0, 1], u(0) = u(1) = 0.

With f(x) = -pi^2 sin(pi x) the exact solution is u(x) = sin(pi x). The network u(x) is trained so that its
second derivative, taken with ``anynn.autograd.grad(..., create_graph=True)`` twice, matches f at collocation
points and its values vanish at the boundary; the loss is then differentiated once more for the weights.

    python examples/pinn.py [--backend numpy] [--steps 1500]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

import anynn
import anynn.nn as nn
from anynn.autograd import grad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="numpy")
    parser.add_argument("--steps", type=int, default=1500)
    args = parser.parse_args()
    anynn.manual_seed(0)

    model = nn.Sequential(nn.Linear(1, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1))
    model.to(args.backend, dtype="float64")
    x = anynn.tensor(np.linspace(0.0, 1.0, 33)[1:-1, None], backend=args.backend, dtype="float64",
                     requires_grad=True)
    f = -math.pi ** 2 * anynn.sin(math.pi * x.detach())
    boundary = anynn.tensor([[0.0], [1.0]], backend=args.backend, dtype="float64")
    optimizer = anynn.optim.Adam(model.parameters(), lr=1e-2)
    scheduler = anynn.optim.lr_scheduler.StepLR(optimizer, step_size=args.steps // 3, gamma=0.3)

    start = time.perf_counter()
    for step in range(args.steps + 1):
        u = model(x)
        (u_x,) = grad(u.sum(), x, create_graph=True)       # du/dx, itself differentiable
        (u_xx,) = grad(u_x.sum(), x, create_graph=True)    # d2u/dx2
        loss = ((u_xx - f) ** 2).mean() + 10.0 * (model(boundary) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        if step % (args.steps // 5) == 0:
            print(f"step {step:5d}  loss {loss.item():.3e}")

    test = np.linspace(0.0, 1.0, 101)[:, None]
    with anynn.no_grad():
        predicted = model(anynn.tensor(test, backend=args.backend, dtype="float64")).numpy()
    error = float(np.max(np.abs(predicted - np.sin(np.pi * test))))
    print(f"max error vs the exact solution sin(pi x): {error:.2e} ({time.perf_counter() - start:.1f} s)")


if __name__ == "__main__":
    main()
