"""A PyTorch training program in the style of the official MNIST example, written for anynn's porting test.

Plain PyTorch: it imports only ``torch``. `port.py` runs it unchanged on PyTorch and, with its import
lines changed to anynn, on any anynn backend; the test compares the two runs' losses step by step.
Images are (N, 1, 14, 14) float32, labels (N,) int64 in [0, 10).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    """Two convolutions, a max-pool and two linear layers; log-probabilities out."""

    def __init__(self, dropout=(0.25, 0.5)):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, 1)
        self.conv2 = nn.Conv2d(8, 16, 3, 1)
        self.dropout1 = nn.Dropout(dropout[0])
        self.dropout2 = nn.Dropout(dropout[1])
        self.fc1 = nn.Linear(16 * 5 * 5, 32)  # 14x14 -> 12x12 -> 10x10 -> pooled 5x5
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        return F.log_softmax(self.fc2(x), dim=1)


def train(model, device, loader, optimizer, scheduler, steps):
    """Train for ``steps`` batches (the scheduler steps once per pass over the data); the losses."""
    model.train()
    losses = []
    while len(losses) < steps:
        for data, target in loader:
            data, target = data.to(device), target.to(device)
            optimizer.zero_grad()
            loss = F.nll_loss(model(data), target)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            if len(losses) == steps:
                break
        scheduler.step()
    return losses


def evaluate(model, device, loader):
    """Mean loss and accuracy, without gradients."""
    model.eval()
    total, correct = 0.0, 0
    with torch.no_grad():
        for data, target in loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            total += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    n = len(loader.dataset)
    return total / n, correct / n


def main(images, labels, steps=20, initial_state=None, dropout=(0.25, 0.5), seed=1):
    """Build, (optionally) load ``initial_state``, train ``steps`` steps; returns (model, losses, test result)."""
    torch.manual_seed(seed)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dataset = TensorDataset(torch.tensor(images), torch.tensor(labels))
    loader = DataLoader(dataset, batch_size=32, shuffle=False)
    model = Net(dropout).to(device)
    if initial_state is not None:
        model.load_state_dict(initial_state)
    optimizer = optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
    losses = train(model, device, loader, optimizer, scheduler, steps)
    return model, losses, evaluate(model, device, loader)
