"""The engines that run a fit: NumPy (in place, over the flat buffer), JAX (the same formulas
compiled, vmapped over stacks) and the stacked NumPy engine for K networks at once."""
