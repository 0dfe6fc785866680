"""The scikit-learn face: FFNNClassifier/FFNNRegressor, conversion to and from scikit-learn's
MLP and PyTorch, and the linear baselines at matched penalties."""
