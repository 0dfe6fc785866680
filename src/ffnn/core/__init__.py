"""The mathematics: the registry of built-ins, activations, losses, penalties, metrics, the
network's forward pass and backpropagation, and their verification (gradcheck)."""
