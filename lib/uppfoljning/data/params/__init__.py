"""The params files' models (pydantic): one per file type, the README's parameter reference.

`base` holds the strict mapping every model builds on, the value types and `validate`, which
turns pydantic's errors into Swedish problems naming the YAML path; `files` the models the
data layer's loaders use (period, structure, code files, indata.yaml); `domains` those of the
domains' files; `reference` generates the README's reference from the models' descriptions.
"""

from uppfoljning.data.params.base import ParamsModel, validate
from uppfoljning.data.params.reference import PARAMS_FILES, reference

__all__ = ["PARAMS_FILES", "ParamsModel", "reference", "validate"]
