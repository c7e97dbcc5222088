"""Training workflow: `fit` / `evaluate` / `predict`, callbacks, progress bars, history and plots.

    from anynn.train import EarlyStopping, fit
    history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters()), train_loader,
                  val_data=val_loader, epochs=20, callbacks=[EarlyStopping(patience=3, restore_best_weights=True)])
    history.plot("history.png")
"""

from .callbacks import (Callback, CSVLogger, EarlyStopping, FitState, LRSchedulerCallback, ModelCheckpoint,
                        TerminateOnNaN)
from .history import History
from .loop import evaluate, fit, predict
from .plots import plot_confusion_matrix
from .progress import Progress

__all__ = [
    "CSVLogger", "Callback", "EarlyStopping", "FitState", "History", "LRSchedulerCallback", "ModelCheckpoint",
    "Progress", "TerminateOnNaN", "evaluate", "fit", "plot_confusion_matrix", "predict",
]
