"""The model catalog: which vision models a benchmark can use, and what they cost.

The default catalog ships as ``webapp/data/model-catalog.csv``. An operator can point
``CATALOG_FILE`` at a file with the same columns to override it. A first line of the form
``# prices as of YYYY-MM-DD`` records when the prices were taken. The optional column
``structured_output`` says how a model can be held to an output schema: ``json_schema``,
``json_object`` or ``none`` (the default: the schema goes in the prompt).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .domain import (
    DEFAULT_TOKENS_PER_RUN,
    OUTPUT_SUPPORT,
    STRONGEST,
    TIER_LABELS,
    TIERS,
    OutputMode,
    TokensPerRun,
)

DEFAULT_FILE = Path(__file__).parent / "data" / "model-catalog.csv"
COLUMNS = ("id", "name", "provider", "tier", "input_usd_per_mtok", "output_usd_per_mtok", "context_window")
MILLION = Decimal(1_000_000)
_AS_OF = re.compile(r"#\s*prices as of\s+(\d{4}-\d{2}-\d{2})", re.IGNORECASE)


class CatalogError(ValueError):
    """The catalog file cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Model:
    id: str
    name: str
    provider: str
    tier: str
    input_usd_per_mtok: Decimal
    output_usd_per_mtok: Decimal
    context_window: int
    output_support: OutputMode = OutputMode.PROMPT  # the strongest output mode it supports

    @property
    def is_free(self) -> bool:
        return self.input_usd_per_mtok == 0 and self.output_usd_per_mtok == 0

    def cost_per_run(self, input_tokens: int, output_tokens: int) -> Decimal:
        return (self.input_usd_per_mtok * input_tokens + self.output_usd_per_mtok * output_tokens) / MILLION

    def estimated_cost_per_run(self, tokens: TokensPerRun = DEFAULT_TOKENS_PER_RUN) -> Decimal:
        """Before a run: at the tokens expected of it (the estimate, the budget's reservation)."""
        return self.cost_per_run(tokens.input, tokens.output)


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    description: str
    model_ids: tuple[str, ...]


class Catalog:
    def __init__(self, models: list[Model], prices_as_of: dt.date | None = None, source: str = ""):
        self.models = list(models)
        self.prices_as_of = prices_as_of
        self.source = source
        self._by_id = {m.id: m for m in self.models}

    def get(self, model_id: str) -> Model | None:
        return self._by_id.get(model_id)

    def by_tier(self) -> list[tuple[str, list[Model]]]:
        """[(tier label, models)] in tier order, skipping empty tiers."""
        return [
            (TIER_LABELS[t], [m for m in self.models if m.tier == t])
            for t in TIERS
            if any(m.tier == t for m in self.models)
        ]

    def output_modes(self, model_ids: list[str], choice: str) -> dict[str, str]:
        """The mode each model is first asked in: the strongest it supports, or the prompt for
        all when the user chose to compare on equal terms."""
        modes = {}
        for model_id in model_ids:
            model = self.get(model_id)
            supported = model.output_support if model else OutputMode.PROMPT
            modes[model_id] = (supported if choice == STRONGEST else OutputMode.PROMPT).value
        return modes

    def __contains__(self, model_id: object) -> bool:
        return model_id in self._by_id

    def __iter__(self):
        return iter(self.models)

    def __len__(self) -> int:
        return len(self.models)


def load_catalog(path: str | Path | None = None) -> Catalog:
    path = Path(path) if path else DEFAULT_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(f"Cannot read the model catalog {path}: {exc.strerror or exc}") from None
    return parse_catalog(text, source=str(path))


def parse_catalog(text: str, source: str = "catalog") -> Catalog:
    prices_as_of = None
    lines = text.splitlines()
    skipped = 0  # leading comment lines, so messages still name the file's own line numbers
    while skipped < len(lines) and (not lines[skipped].strip() or lines[skipped].lstrip().startswith("#")):
        match = _AS_OF.match(lines[skipped].strip())
        if match:
            try:
                prices_as_of = dt.date.fromisoformat(match.group(1))
            except ValueError:
                raise CatalogError(f"{source}: '{match.group(1)}' is not a valid date") from None
        skipped += 1
    reader = csv.DictReader(io.StringIO("\n".join(lines[skipped:])))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise CatalogError(f"{source}: missing column(s) {', '.join(missing)}")
    models: list[Model] = []
    seen: set[str] = set()
    for row in reader:
        line = reader.line_num + skipped
        if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
            continue
        models.append(_model(row, f"{source} line {line}", seen))
    if not models:
        raise CatalogError(f"{source}: the catalog has no models")
    return Catalog(models, prices_as_of, source)


def _model(row: dict, where: str, seen: set[str]) -> Model:
    model_id = (row["id"] or "").strip()
    name = (row["name"] or "").strip()
    tier = (row["tier"] or "").strip().lower()
    if not model_id or not name:
        raise CatalogError(f"{where}: id and name are required")
    if model_id in seen:
        raise CatalogError(f"{where}: model '{model_id}' appears twice")
    seen.add(model_id)
    if tier not in TIERS:
        raise CatalogError(f"{where}: tier '{tier}' is not one of {', '.join(TIERS)}")
    prices = []
    for column in ("input_usd_per_mtok", "output_usd_per_mtok"):
        try:
            value = Decimal((row[column] or "").strip())
        except InvalidOperation:
            raise CatalogError(f"{where}: {column} '{row[column]}' is not a number") from None
        if not value.is_finite() or value < 0:
            raise CatalogError(f"{where}: {column} must be zero or more")
        prices.append(value)
    try:
        context = int((row["context_window"] or "0").strip())
    except ValueError:
        raise CatalogError(f"{where}: context_window '{row['context_window']}' is not a whole number") from None
    support = (row.get("structured_output") or "none").strip().lower()
    if support not in OUTPUT_SUPPORT:
        raise CatalogError(f"{where}: structured_output '{support}' is not one of {', '.join(OUTPUT_SUPPORT)}")
    return Model(
        model_id, name, (row["provider"] or "").strip(), tier, prices[0], prices[1], context, OUTPUT_SUPPORT[support]
    )


def presets(catalog: Catalog) -> list[Preset]:
    """A few ready-made selections, derived from the catalog so an override still works.

    The first preset is the default selection for sample benchmarks.
    """

    def cheapest(models: list[Model], n: int) -> tuple[str, ...]:
        ranked = sorted(models, key=lambda m: (m.estimated_cost_per_run(), m.name))
        return tuple(m.id for m in ranked[:n])

    paid = [m for m in catalog if not m.is_free]
    free = [m for m in catalog if m.is_free]
    tiers = {t: [m for m in catalog if m.tier == t] for t in TIERS}
    spread = tuple(cheapest(tiers[t], 1)[0] for t in ("budget", "mid", "premium") if tiers[t])
    candidates = [
        Preset("best-value", "Best value", "The three cheapest paid models.", cheapest(paid, 3)),
        Preset("spread", "One per tier", "The cheapest budget, mid-range and premium model.", spread),
        Preset("free", "Free only", "Every free model (rate limits apply).", tuple(m.id for m in free)),
    ]
    result = [p for p in candidates if p.model_ids]
    if not result:
        result = [Preset("first", "First models", "The first three models.", tuple(m.id for m in catalog.models[:3]))]
    return result
