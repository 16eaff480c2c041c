"""The new-benchmark form: its fields, their limits, and turning a draft into a valid spec."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from ..catalog import Catalog
from ..domain import (
    COMPARE_MODES,
    DEFAULT_PRIORITY_ORDER,
    OUTPUT_MODE_CHOICES,
    PRIORITY_ORDERS,
    STRICT,
    STRONGEST,
    priority_list,
)
from ..formatting import money
from . import schema_field
from .expected_json import ExpectedJSONError, parse_expected
from .uploads import max_images

PROMPT_MIN, PROMPT_MAX = 20, 4000
TITLE_MAX = 120
CENT = Decimal("0.01")
SAMPLES_MIN, SAMPLES_MAX, SAMPLES_DEFAULT = 1, 10, 3
DEFAULT_PROMPT = (
    "Extract the data from this document as JSON with the same keys and structure as "
    "the example. Answer with the JSON object only."
)


@dataclass
class DraftForm:
    """What the user has entered so far, kept as typed (strings), so nothing is ever lost."""

    title: str = ""
    prompt: str = DEFAULT_PROMPT
    compare_mode: str = STRICT
    samples: str = str(SAMPLES_DEFAULT)
    priorities: str = DEFAULT_PRIORITY_ORDER
    budget: str = ""
    models: list[str] = field(default_factory=list)
    output_schema: str = ""  # empty: inferred from the expected JSON (webapp/benchmarks/schema_field.py)
    output_mode_choice: str = STRONGEST

    @classmethod
    def from_json(cls, data: dict) -> DraftForm:
        known = {k: v for k, v in (data or {}).items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class Spec:
    title: str
    prompt: str
    compare_mode: str
    samples: int
    priorities: list[str]
    budget: Decimal
    model_ids: list[str]
    expected: dict[int, dict]  # draft image id -> expected JSON
    output_schema: dict
    output_mode_choice: str


def parse_samples(raw: str) -> int | None:
    try:
        value = int(str(raw).strip())
    except ValueError:
        return None
    return value if SAMPLES_MIN <= value <= SAMPLES_MAX else None


def parse_budget(raw: str, hard_ceiling: Decimal) -> Decimal | None:
    """Dollars and cents from $0.01 up to the hard ceiling (empty: the ceiling), or None."""
    raw = str(raw).strip().lstrip("$") or str(hard_ceiling)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    if not value.is_finite() or not CENT <= value <= hard_ceiling:
        return None
    if value != value.quantize(CENT):
        return None  # finer than a cent: it would be shown rounded
    return value


def validate(
    form: DraftForm, images: list, catalog: Catalog, hard_ceiling: Decimal, estimate_total: Decimal
) -> tuple[Spec | None, dict[str, str]]:
    """Return (spec, {}) or (None, {field name: message}). Image errors use `expected-<id>`."""
    errors: dict[str, str] = {}
    prompt = form.prompt.strip()
    if len(prompt) < PROMPT_MIN:
        errors["prompt"] = f"Write a prompt of at least {PROMPT_MIN} characters."
    elif len(prompt) > PROMPT_MAX:
        errors["prompt"] = f"The prompt is {len(prompt):,} characters; at most {PROMPT_MAX:,} are allowed."
    title = form.title.strip()
    if len(title) > TITLE_MAX:
        errors["title"] = f"Keep the name under {TITLE_MAX} characters."
    if form.compare_mode not in COMPARE_MODES:
        errors["compare_mode"] = "Choose strict or relaxed comparison."
    samples = parse_samples(form.samples)
    if samples is None:
        errors["samples"] = f"Enter a whole number of samples from {SAMPLES_MIN} to {SAMPLES_MAX}."
    if form.priorities not in PRIORITY_ORDERS:
        errors["priorities"] = "Choose an order of priorities."
    budget = parse_budget(form.budget, hard_ceiling)
    if budget is None:
        errors["budget"] = f"Enter a budget in dollars and cents, from $0.01 to ${hard_ceiling:.2f}."
    unknown = [m for m in form.models if m not in catalog]
    if unknown:
        errors["models"] = "Some of the chosen models are not in the catalog; choose again."
    elif not form.models:
        errors["models"] = "Choose at least one model."
    if not images:
        errors["images"] = "Add at least one image."
    elif len(images) > max_images():
        errors["images"] = f"Use at most {max_images()} images."
    expected = {}
    for image in images:
        try:
            expected[image.id] = parse_expected(image.expected_text)
        except ExpectedJSONError as e:
            errors[f"expected-{image.id}"] = str(e)
    schema = None
    if expected:
        state = schema_field.state(form.output_schema, images)
        schema = state.schema
        if state.error:
            errors["output_schema"] = state.error
    if form.output_mode_choice not in OUTPUT_MODE_CHOICES:
        errors["output_mode_choice"] = "Choose how each model is asked for the output schema."
    if budget is not None and not errors and estimate_total > budget:
        estimate_text = money(estimate_total, 2 if estimate_total >= CENT else None)  # never "$0.00"
        errors["budget"] = (
            f"The estimated cost {estimate_text} is above the budget ceiling of "
            f"{money(budget, 2)}. Choose fewer or cheaper models, fewer samples, or raise the "
            f"ceiling (at most ${hard_ceiling:.2f})."
        )
    if errors or samples is None or budget is None or schema is None:
        return None, errors
    return Spec(
        title=title,
        prompt=prompt,
        compare_mode=form.compare_mode,
        samples=samples,
        priorities=priority_list(form.priorities),
        budget=budget,
        model_ids=list(dict.fromkeys(form.models)),
        expected=expected,
        output_schema=schema,
        output_mode_choice=form.output_mode_choice,
    ), {}
