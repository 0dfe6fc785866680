"""Files: the model container (atomic writes, hostile-file checks), networks and their
components as files, the Model of a saved run, and the readers of a user's CSV/.npz and of
MNIST's IDX files.

``ffnn.io``'s own names (``save``, ``load``, ``read_model_file`` …) live in
:mod:`ffnn.io.container.container`.
"""

from .components import activation_from_config, activation_to_config
from .container import (
    FORMAT_NAME,
    FORMAT_VERSION,
    METADATA_KEY,
    ModelFileError,
    read_model_file,
    write_model_file,
)
from .networks import load, load_with_state, network_from_parts, network_to_parts, save

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "METADATA_KEY",
    "ModelFileError",
    "activation_from_config",
    "activation_to_config",
    "load",
    "load_with_state",
    "network_from_parts",
    "network_to_parts",
    "read_model_file",
    "save",
    "write_model_file",
]
