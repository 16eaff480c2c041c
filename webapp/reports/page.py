"""Everything the report page shows, built from one report's rows. Each part has its own
builder, used by the page and by the fragment route that htmx swaps in (the same partial)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from ..domain import RunStatus
from ..scoring import MISSING, NOT_JSON, ROOT
from . import queries
from .confidence import Confidence, Interval, bootstrap
from .fields import FieldRow, field_table
from .jsonview import Line, json_lines, pretty
from .patterns import ErrorPattern, error_patterns
from .recommend import Recommendation, rank, recommend
from .stats import SORT_KEYS, ModelStats, Totals, best_values, sort_stats, summarize, totals

RUNS_PER_PAGE = 25
DEFAULT_DOCS = 10_000
MAX_DOCS = 1_000_000_000


@dataclass
class ReportData:
    report: queries.SharedReport
    images: list[queries.ReportImage]
    runs: list[queries.RunRow]
    stats: list[ModelStats]
    ranked: list[ModelStats]
    recommendation: Recommendation | None
    totals: Totals
    confidence: Confidence | None  # None with fewer than two images

    # Built on first use: the fragments (ranking, calculator, runs...) never need them.
    @cached_property
    def patterns(self) -> list[ErrorPattern]:
        return error_patterns(self.runs, self._expected)

    @cached_property
    def fields(self) -> list[FieldRow]:
        return field_table(self.runs, self._expected, self.report.model_ids)

    @property
    def _expected(self) -> dict[int, dict]:
        return {i.id: i.expected for i in self.images}

    @property
    def spent_of_estimate(self) -> float | None:
        """What the runs cost, as a share of the estimate shown when the benchmark was started."""
        estimate = self.report.estimated_cost_usd
        return float(self.totals.spent / estimate) if estimate else None

    def interval(self, model_id: str) -> Interval | None:
        return self.confidence.intervals.get(model_id) if self.confidence else None

    def name(self, model_id: str) -> str:
        for s in self.stats:
            if s.model_id == model_id:
                return s.name
        return model_id


def load(conn, report: queries.SharedReport, catalog) -> ReportData:
    images = queries.report_images(conn, report.id)
    runs = queries.runs(conn, report.id)
    stats = summarize(runs, report.model_ids, catalog)
    confidence = bootstrap(runs, report.model_ids)
    return ReportData(
        report=report,
        images=images,
        runs=runs,
        stats=stats,
        ranked=rank(stats, report.priorities, confidence),
        recommendation=recommend(stats, report.priorities, confidence),
        totals=totals(stats),
        confidence=confidence,
    )


@dataclass
class Table:
    rows: list[ModelStats]
    sort: str  # "rank" or a column of stats.SORT_KEYS
    descending: bool
    best: dict[str, set[str]]
    rank_of: dict[str, int]


def table(data: ReportData, sort: str | None, direction: str | None) -> Table:
    rank_of = {m.model_id: i + 1 for i, m in enumerate(data.ranked)}
    if sort not in SORT_KEYS:
        return Table(data.ranked, "rank", False, best_values(data.stats), rank_of)
    descending = SORT_KEYS[sort][1] if direction not in ("asc", "desc") else direction == "desc"
    return Table(sort_stats(data.stats, sort, descending), sort, descending, best_values(data.stats), rank_of)


@dataclass
class Calculator:
    docs: int
    raw: str
    error: str | None
    rows: list[tuple[ModelStats, object]]


def calculator(data: ReportData, docs: str | None) -> Calculator:
    raw = (docs or "").strip().replace(",", "").replace("_", "")
    error, value = None, DEFAULT_DOCS
    if raw:
        if raw.isdigit() and 1 <= int(raw) <= MAX_DOCS:
            value = int(raw)
        else:
            error = "Enter a whole number of documents between 1 and 1,000,000,000."
    priced = [s for s in data.stats if s.cost_per_run is not None]
    rows = sorted(priced, key=lambda s: (s.cost_per_run, -(s.accuracy or 0), s.name.lower()))
    return Calculator(value, docs or "", error, [(s, s.monthly_cost(value)) for s in rows])


@dataclass
class FieldsView:
    rows: list[FieldRow]
    models: list[ModelStats]  # the columns, in ranking order
    sort: str  # a model id (its worst fields first), or "" (worst for any model first)


def fields_view(data: ReportData, sort: str | None) -> FieldsView:
    sort = sort if sort in data.report.model_ids else ""
    rows = data.fields
    if sort:
        rows = sorted(rows, key=lambda r: (r.cells[sort].rate if r.cells[sort].rate is not None else 2.0, r.path))
    return FieldsView(rows, data.ranked, sort)


@dataclass
class RunsView:
    rows: list[queries.RunRow]
    model: str
    status: str
    page: int
    pages: int
    matching: int


def runs_view(data: ReportData, model: str | None, status: str | None, page: str | None) -> RunsView:
    model = model if model in data.report.model_ids else ""
    status = status if status in list(RunStatus) else ""
    matching = [r for r in data.runs if (not model or r.model_id == model) and (not status or r.status == status)]
    pages = max(1, -(-len(matching) // RUNS_PER_PAGE))
    number = int(page) if page and page.isdigit() else 1
    number = min(max(number, 1), pages)
    start = (number - 1) * RUNS_PER_PAGE
    return RunsView(matching[start : start + RUNS_PER_PAGE], model, status, number, pages, len(matching))


@dataclass
class ModelOutput:
    model_id: str
    name: str
    shown: queries.RunOutput | None  # the worst sample: it shows what goes wrong
    samples: list[queries.RunOutput]
    lines: list[Line] = field(default_factory=list)
    missing: list[dict] = field(default_factory=list)
    not_json: bool = False


@dataclass
class ImageView:
    image: queries.ReportImage | None
    position: int
    count: int
    expected_json: str
    outputs: list[ModelOutput]

    def output_of_run(self, run_id: str | None) -> str | None:
        """A sample's parsed output as JSON text, to start an edit of the expected JSON from."""
        if not run_id or not run_id.isdigit():
            return None
        for out in self.outputs:
            for sample in out.samples:
                if sample.id == int(run_id) and sample.status.is_complete and sample.parsed_json is not None:
                    return pretty(sample.parsed_json)
        return None


def _badness(run: queries.RunOutput):
    order = {RunStatus.FAILED: 0, RunStatus.COMPLETE: 1}.get(run.status, 2)
    return (order, run.field_accuracy if run.field_accuracy is not None else 0.0, run.sample_index)


def image_view(conn, data: ReportData, position: str | None) -> ImageView:
    count = len(data.images)
    number = int(position) if position and position.isdigit() else 1
    number = min(max(number, 1), max(count, 1))
    if not count:
        return ImageView(None, 1, 0, "", [])
    image = data.images[number - 1]
    by_model: dict[str, list] = {m: [] for m in data.report.model_ids}
    for output in queries.outputs_for_image(conn, data.report.id, image.id):
        by_model.setdefault(output.model_id, []).append(output)
    outputs = []
    for model_id, samples in by_model.items():
        finished = [s for s in samples if s.status.scored]
        shown = min(finished, key=_badness) if finished else None
        out = ModelOutput(model_id, data.name(model_id), shown, samples)
        if shown is not None and shown.status.is_complete:
            diffs = shown.diffs or []
            out.not_json = any(d.get("path") == ROOT and d.get("reason") == NOT_JSON for d in diffs)
            out.missing = [d for d in diffs if d.get("reason") == MISSING]
            if shown.parsed_json is not None and not out.not_json:
                out.lines = json_lines(shown.parsed_json, {d.get("path") for d in diffs if d.get("reason") != MISSING})
        outputs.append(out)
    return ImageView(image, number, count, pretty(image.expected), outputs)
