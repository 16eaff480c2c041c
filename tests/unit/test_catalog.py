import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from webapp.catalog import CatalogError, load_catalog, parse_catalog, presets
from webapp.domain import TIERS, OutputMode

HEADER = "id,name,provider,tier,input_usd_per_mtok,output_usd_per_mtok,context_window\n"


def test_default_catalog_has_25_models_in_5_tiers_with_prices_date():
    catalog = load_catalog()
    assert len(catalog) == 25
    assert {m.tier for m in catalog} == set(TIERS)
    assert catalog.prices_as_of == dt.date(2026, 2, 11)
    gpt5 = catalog.get("openai/gpt-5")
    assert gpt5.input_usd_per_mtok == Decimal("1.25") and gpt5.output_usd_per_mtok == Decimal("10.0")


def test_cost_per_run_uses_1500_in_500_out_by_default():
    model = load_catalog().get("openai/gpt-5")
    # 1500 * 1.25 / 1e6 + 500 * 10 / 1e6
    assert model.estimated_cost_per_run() == Decimal("0.006875")
    assert load_catalog().get("google/gemma-3-27b-it:free").is_free


def test_default_file_matches_csv_rows_exactly():
    path = Path(__file__).parents[2] / "webapp" / "data" / "model-catalog.csv"
    rows = list(csv.DictReader(line for line in path.read_text().splitlines() if not line.startswith("#")))
    catalog = load_catalog(path)
    assert [r["id"] for r in rows] == [m.id for m in catalog]


def test_by_tier_keeps_tier_order_and_skips_empty_tiers():
    catalog = parse_catalog(HEADER + "b,B,x,premium,3,15,1000\na,A,x,budget,0.1,0.4,1000\n")
    assert [label for label, _ in catalog.by_tier()] == ["Budget", "Premium"]
    assert catalog.prices_as_of is None


def test_override_file(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text("# prices as of 2027-01-02\n" + HEADER + "acme/see-1,See 1,acme,mid,1,2,8000\n")
    catalog = load_catalog(path)
    assert [m.id for m in catalog] == ["acme/see-1"] and "acme/see-1" in catalog
    assert catalog.prices_as_of == dt.date(2027, 1, 2)


@pytest.mark.parametrize(
    "body, message",
    [
        ("a,A,x,gold,1,1,1\n", "tier 'gold'"),
        ("a,A,x,mid,cheap,1,1\n", "input_usd_per_mtok 'cheap'"),
        ("a,A,x,mid,-1,1,1\n", "zero or more"),
        ("a,A,x,mid,1,1,1\na,A2,x,mid,1,1,1\n", "appears twice"),
        ("", "no models"),
        (",A,x,mid,1,1,1\n", "required"),
    ],
)
def test_bad_rows_name_the_line_and_problem(body, message):
    with pytest.raises(CatalogError, match=message):
        parse_catalog(HEADER + body, source="cat.csv")


def test_missing_column_and_missing_file(tmp_path):
    with pytest.raises(CatalogError, match="missing column"):
        parse_catalog("id,name\na,A\n")
    with pytest.raises(CatalogError, match="Cannot read"):
        load_catalog(tmp_path / "nope.csv")


def test_presets_are_cheapest_first_and_only_reference_known_models():
    catalog = load_catalog()
    found = presets(catalog)
    assert found[0].key == "best-value"
    # ties on price are broken by name
    assert found[0].model_ids == ("openai/gpt-5-nano", "openai/gpt-4.1-nano", "google/gemini-2.0-flash-001")
    for preset in found:
        assert preset.model_ids and all(m in catalog for m in preset.model_ids)


def test_structured_output_support_comes_from_its_column_and_defaults_to_the_prompt():
    catalog = load_catalog()
    assert catalog.get("openai/gpt-5").output_support is OutputMode.JSON_SCHEMA
    assert catalog.get("google/gemma-3-27b-it:free").output_support is OutputMode.JSON_OBJECT
    assert catalog.get("anthropic/claude-opus-4").output_support is OutputMode.PROMPT
    assert parse_catalog(HEADER + "a,A,x,mid,1,1,1\n").get("a").output_support is OutputMode.PROMPT  # no column
    with_column = HEADER.strip() + ",structured_output\n" + "a,A,x,mid,1,1,1,JSON_OBJECT\nb,B,x,mid,1,1,1,\n"
    catalog = parse_catalog(with_column)
    assert (
        catalog.get("a").output_support is OutputMode.JSON_OBJECT
        and catalog.get("b").output_support is OutputMode.PROMPT
    )
    assert catalog.output_modes(["a", "b", "gone"], "strongest") == {
        "a": "json_object",
        "b": "prompt",
        "gone": "prompt",
    }
    assert catalog.output_modes(["a"], "prompt") == {"a": "prompt"}
    with pytest.raises(CatalogError, match=r"cat\.csv line 2: structured_output .tools. is not one of json_schema"):
        parse_catalog(HEADER.strip() + ",structured_output\na,A,x,mid,1,1,1,tools\n", source="cat.csv")
