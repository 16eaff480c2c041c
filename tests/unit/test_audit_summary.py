"""The dependency audit's verdict on pip-audit reports."""

import importlib.util
from pathlib import Path

spec = importlib.util.spec_from_file_location("audit_summary", Path(__file__).parents[2] / "scripts/audit_summary.py")
audit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit)

CLEAN = {"name": "flask", "version": "3.1.2", "vulns": []}
SKIPPED = {"name": "gevent", "skip_reason": "Dependency not found on PyPI and could not be audited"}
VULNERABLE = {"name": "jinja2", "version": "3.1.2", "vulns": [{"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"]}]}


def test_a_known_vulnerability_fails():
    code, lines = audit.summarize({"dependencies": [CLEAN, VULNERABLE]}, 1, required=False)
    assert code == 1 and "VULNERABLE jinja2 3.1.2: GHSA-h5c8-rqwp-cp95 (fixed in 3.1.3)" in lines


def test_clean_passes_and_counts_what_was_skipped():
    code, lines = audit.summarize({"dependencies": [CLEAN, SKIPPED]}, 0, required=False)
    assert code == 0 and lines == ["No known vulnerabilities in 1 audited dependencies; 1 could not be audited."]


def test_nothing_audited_is_said_loudly_and_fails_only_when_required():
    code, lines = audit.summarize({"dependencies": [SKIPPED, SKIPPED]}, 0, required=False)
    assert code == 0 and lines[0].startswith("AUDIT NOT PERFORMED")
    assert audit.summarize({"dependencies": [SKIPPED]}, 0, required=True)[0] == 2


def test_pip_audit_that_could_not_run_is_said_loudly():
    code, lines = audit.summarize({}, 1, required=False, error="requests.exceptions.ConnectionError: pypi.org")
    assert code == 0 and lines == [
        "AUDIT NOT PERFORMED: pip-audit could not run: requests.exceptions.ConnectionError: pypi.org"
    ]
    assert audit.summarize({}, 1, required=True)[0] == 2


def test_pip_audit_failing_after_auditing_fails():
    assert audit.summarize({"dependencies": [CLEAN]}, 3, required=False)[0] == 3
