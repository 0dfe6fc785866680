"""Record PyTorch optimizer trajectories that ``tests/test_optimizers.py`` replays with ffnn.

Run by hand, never by the test suite (torch is not a dependency of ffnn or of its tests)::

    pip install torch==2.13.0    # the reference version; the CPU build is enough
    python tests/reference/record_torch_trajectories.py

It writes ``tests/reference/torch_trajectories.json`` next to this file.

The problem is the quadratic ``f(θ) = ½ θᵀAθ − cᵀθ`` in 6 dimensions, with the fixed
symmetric positive definite ``A`` and the vector ``c`` written below; its gradient is
``Aθ − c`` (set directly on ``.grad``, the same expression the tests evaluate in numpy).
``θ`` is split into two tensors, as a network's parameters are: ``weights`` (the first 4
entries) and ``biases`` (the last 2). For AdamW, torch's parameter groups give weight decay to
the weights group only, which in ffnn is the mask ``[1, 1, 1, 1, 0, 0]`` passed to ``init``.

Each optimizer is recorded twice: with torch's default hyperparameters (except the learning
rate, and the momentum that makes SGD a momentum method) and with non-default ones chosen to
make a visible difference (large ``eps``, other betas, etc.). Everything runs in float64 on
the CPU. The file stores, per trajectory, the arguments given to torch, the full
hyperparameters torch resolved (``optimizer.defaults`` and the parameter groups), and the
parameters before the first step and after each of the 20 steps.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path

import torch

STEPS = 20
OUTPUT = Path(__file__).with_name("torch_trajectories.json")

# A = M Mᵀ / 4 + I/2: symmetric positive definite, eigenvalues roughly 0.5 to 9.
M = [
    [2.0, -1.0, 0.5, 0.0, 1.0, -0.5],
    [0.5, 1.5, -1.0, 0.5, 0.0, 1.0],
    [-1.0, 0.0, 2.5, 1.0, -0.5, 0.0],
    [0.0, 1.0, 0.5, 1.0, 1.5, -1.0],
    [1.5, 0.5, 0.0, -1.0, 2.0, 0.5],
    [0.5, -0.5, 1.0, 0.0, 0.5, 1.5],
]
C = [1.0, -2.0, 0.5, 1.5, -1.0, 0.25]
THETA0 = [0.8, -0.6, 1.1, -0.3, 0.4, -0.9]
N_WEIGHTS = 4  # θ[:4] are "weights", θ[4:] are "biases"

# name -> (torch optimizer class name, keyword arguments, per-group extras or None,
#          max_norm for clip_grad_norm_ or None, ExponentialLR gamma or None)
RUNS = {
    # plain SGD
    "sgd": ("SGD", {"lr": 0.05}, None, None, None),
    "sgd_lr_0.15": ("SGD", {"lr": 0.15}, None, None, None),
    # heavy-ball momentum
    "momentum": ("SGD", {"lr": 0.02, "momentum": 0.9}, None, None, None),
    "momentum_0.5": ("SGD", {"lr": 0.1, "momentum": 0.5}, None, None, None),
    # Nesterov momentum
    "nesterov": ("SGD", {"lr": 0.02, "momentum": 0.9, "nesterov": True}, None, None, None),
    "nesterov_0.6": ("SGD", {"lr": 0.08, "momentum": 0.6, "nesterov": True}, None, None, None),
    # Adagrad
    "adagrad": ("Adagrad", {"lr": 0.3}, None, None, None),
    "adagrad_eps": ("Adagrad", {"lr": 0.7, "eps": 0.05}, None, None, None),
    # RMSprop
    "rmsprop": ("RMSprop", {"lr": 0.02}, None, None, None),
    "rmsprop_alpha_eps": ("RMSprop", {"lr": 0.05, "alpha": 0.8, "eps": 0.01}, None, None, None),
    # Adam
    "adam": ("Adam", {"lr": 0.1}, None, None, None),
    "adam_betas_eps": ("Adam", {"lr": 0.2, "betas": (0.7, 0.95), "eps": 0.01}, None, None, None),
    # AdamW, weight decay on the weights group only
    "adamw": ("AdamW", {"lr": 0.1}, [{}, {"weight_decay": 0.0}], None, None),
    "adamw_decay": (
        "AdamW",
        {"lr": 0.15, "betas": (0.8, 0.99), "eps": 1e-3, "weight_decay": 0.5},
        [{}, {"weight_decay": 0.0}],
        None,
        None,
    ),
    # NAdam (Nesterov momentum through μₜ = β₁ (1 − ½ 0.96^(ψt)), ψ = momentum_decay)
    "nadam": ("NAdam", {"lr": 0.1}, None, None, None),
    "nadam_betas_eps_decay": (
        "NAdam",
        {"lr": 0.2, "betas": (0.7, 0.95), "eps": 0.01, "momentum_decay": 0.2},
        None,
        None,
        None,
    ),
    # Adamax (u ← max(β₂ u, |g| + ε))
    "adamax": ("Adamax", {"lr": 0.1}, None, None, None),
    "adamax_betas_eps": (
        "Adamax", {"lr": 0.2, "betas": (0.7, 0.95), "eps": 0.05}, None, None, None
    ),
    # RAdam: momentum alone while ρₜ ≤ 5 (steps 1 to 5 here), rectified after
    "radam": ("RAdam", {"lr": 0.1}, None, None, None),
    "radam_betas_eps": ("RAdam", {"lr": 0.2, "betas": (0.7, 0.95), "eps": 0.01}, None, None, None),
    # β₂ = 0.6: ρ∞ = 4, so ρₜ never exceeds 5 and no step is rectified
    "radam_never_rectified": ("RAdam", {"lr": 0.05, "betas": (0.8, 0.6)}, None, None, None),
    # clip_grad_norm_ then Adam (max_norm small enough to clip the first steps at least)
    "clip_adam": ("Adam", {"lr": 0.1}, None, 1.5, None),
    # an ExponentialLR stepped after every optimizer step: lr · gamma^step
    "sgd_exponential_lr": ("SGD", {"lr": 0.15, "momentum": 0.5}, None, None, 0.9),
}


def _jsonable(value):
    if isinstance(value, torch.Tensor):
        return value.tolist()
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return repr(value)


def record(A, c, name, optimizer_name, kwargs, group_extras, max_norm, gamma):
    theta0 = torch.tensor(THETA0, dtype=torch.float64)
    weights = theta0[:N_WEIGHTS].clone()
    biases = theta0[N_WEIGHTS:].clone()
    tensors = [weights, biases]
    if group_extras is None:
        params = tensors
    else:
        params = [{"params": [t], **extra} for t, extra in zip(tensors, group_extras)]
    optimizer = getattr(torch.optim, optimizer_name)(params, **kwargs)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=gamma) if gamma else None
    trajectory = [torch.cat(tensors).tolist()]
    gradient_norms = []
    for _ in range(STEPS):
        theta = torch.cat(tensors)
        grad = A @ theta - c
        weights.grad = grad[:N_WEIGHTS].clone()
        biases.grad = grad[N_WEIGHTS:].clone()
        gradient_norms.append(float(torch.linalg.vector_norm(grad)))
        if max_norm is not None:
            torch.nn.utils.clip_grad_norm_(tensors, max_norm)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        trajectory.append(torch.cat(tensors).tolist())
    groups = [
        {
            "indices": list(range(N_WEIGHTS)) if i == 0 else list(range(N_WEIGHTS, len(THETA0))),
            **{k: _jsonable(v) for k, v in group.items() if k not in ("params", "initial_lr")},
        }
        for i, group in enumerate(optimizer.param_groups)
    ]
    return {
        "torch_optimizer": optimizer_name,
        "torch_kwargs": _jsonable(kwargs),
        "torch_defaults": _jsonable(optimizer.defaults),
        "param_groups": groups if group_extras is not None else None,
        "clip_grad_norm": None if max_norm is None else {"max_norm": max_norm},
        "exponential_lr": None if gamma is None else {"gamma": gamma},
        "gradient_norms_before_clipping": gradient_norms,
        "params": trajectory,
    }


def main() -> None:
    torch.set_default_dtype(torch.float64)
    m = torch.tensor(M, dtype=torch.float64)
    A = m @ m.T / 4 + 0.5 * torch.eye(len(M), dtype=torch.float64)
    A = (A + A.T) / 2  # exactly symmetric
    c = torch.tensor(C, dtype=torch.float64)
    eigenvalues = torch.linalg.eigvalsh(A)
    assert eigenvalues.min() > 0, "A must be positive definite"

    trajectories = {name: record(A, c, name, *spec) for name, spec in RUNS.items()}
    data = {
        "description": (
            "PyTorch optimizer trajectories on f(θ) = ½ θᵀAθ − cᵀθ (gradient Aθ − c), "
            "float64 on the CPU, recorded by tests/reference/record_torch_trajectories.py. "
            "params[k] is θ after k steps (params[0] the initial θ)."
        ),
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "dtype": "float64",
        "steps": STEPS,
        "problem": {
            "A": A.tolist(),
            "c": c.tolist(),
            "eigenvalues_of_A": eigenvalues.tolist(),
            "theta0": THETA0,
            "groups": {
                "weights": list(range(N_WEIGHTS)),
                "biases": list(range(N_WEIGHTS, len(THETA0))),
            },
            "weight_mask": [1.0] * N_WEIGHTS + [0.0] * (len(THETA0) - N_WEIGHTS),
        },
        "trajectories": trajectories,
    }
    OUTPUT.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(trajectories)} trajectories of {STEPS} steps to {OUTPUT}")


if __name__ == "__main__":
    main()
