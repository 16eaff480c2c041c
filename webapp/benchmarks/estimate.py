"""Cost estimate shown while picking models, at the domain's estimated tokens per run."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from ..catalog import Catalog
from ..domain import ESTIMATE_INPUT_TOKENS, ESTIMATE_OUTPUT_TOKENS


@dataclass(frozen=True)
class ModelEstimate:
    model_id: str
    name: str
    runs: int
    cost: Decimal


@dataclass(frozen=True)
class Estimate:
    per_model: list[ModelEstimate]
    runs: int
    total: Decimal
    images: int
    samples: int
    input_tokens: ClassVar[int] = ESTIMATE_INPUT_TOKENS  # per run, as the estimate assumes
    output_tokens: ClassVar[int] = ESTIMATE_OUTPUT_TOKENS


def estimate(catalog: Catalog, model_ids: list[str], images: int, samples: int) -> Estimate:
    runs_per_model = max(images, 0) * max(samples, 0)
    rows = []
    for model_id in dict.fromkeys(model_ids):
        model = catalog.get(model_id)
        if model is not None:
            rows.append(
                ModelEstimate(model.id, model.name, runs_per_model, model.estimated_cost_per_run() * runs_per_model)
            )
    return Estimate(rows, runs_per_model * len(rows), sum((r.cost for r in rows), Decimal(0)), images, samples)
