"""The course's data sets (scikit-learn's, MNIST, Franke/Runge/polynomial), splitting, scaling
and label encoding; the embedded iris CSV."""
