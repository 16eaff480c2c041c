"""Cost estimate shown while picking models: per model, at the mean tokens of this installation's
earlier runs of it when there are any, else at the domain's default tokens per run."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from ..catalog import Catalog
from ..domain import TokensPerRun, expected_tokens
from . import queries
from .spec import DraftForm, parse_samples


@dataclass(frozen=True)
class ModelEstimate:
    model_id: str
    name: str
    runs: int
    cost: Decimal
    tokens: TokensPerRun  # per run, as this model's estimate assumes


@dataclass(frozen=True)
class Estimate:
    per_model: list[ModelEstimate]
    runs: int
    total: Decimal
    images: int
    samples: int

    @property
    def measured(self) -> int:
        """How many of the models are estimated from their earlier runs."""
        return sum(1 for row in self.per_model if row.tokens.measured)


def estimate(
    catalog: Catalog,
    model_ids: list[str],
    images: int,
    samples: int,
    history: Mapping[str, TokensPerRun] | None = None,
) -> Estimate:
    """`history`: model id -> its measured tokens per run (models missing from it: the default)."""
    runs_per_model = max(images, 0) * max(samples, 0)
    rows = []
    for model_id in dict.fromkeys(model_ids):
        model = catalog.get(model_id)
        if model is not None:
            tokens = expected_tokens(history or {}, model_id)
            cost = model.estimated_cost_per_run(tokens) * runs_per_model
            rows.append(ModelEstimate(model.id, model.name, runs_per_model, cost, tokens))
    return Estimate(rows, runs_per_model * len(rows), sum((r.cost for r in rows), Decimal(0)), images, samples)


def estimate_draft(
    conn,
    catalog: Catalog,
    provider: str,
    draft: DraftForm,
    images: int,
    history: Mapping[str, TokensPerRun] | None = None,
) -> Estimate:
    """The estimate the form shows and a start (from the form or the API) checks against the
    budget: each model at the mean tokens of its earlier runs on `provider`."""
    if history is None:
        history = queries.tokens_per_run(conn, provider, draft.models)
    return estimate(catalog, draft.models, images, parse_samples(draft.samples) or 0, history)
