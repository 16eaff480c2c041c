"""Reads pip-audit's JSON report and decides: 1 on a known vulnerability, 0 when clean, and a
loud notice (0, or 2 with AUDIT_REQUIRED=1) when nothing could be audited."""

from __future__ import annotations

import json
import os
import sys


def summarize(report: dict, pip_audit_status: int, required: bool, error: str = "") -> tuple[int, list[str]]:
    deps = report.get("dependencies", [])
    if not deps:
        # No report at all: pip-audit stopped before auditing anything (no network, no service).
        reason = f": {error}" if error else f" (pip-audit exit {pip_audit_status})"
        return (2 if required else 0), [f"AUDIT NOT PERFORMED: pip-audit could not run{reason}"]
    vulnerable = [d for d in deps if d.get("vulns")]
    skipped = [d for d in deps if d.get("skip_reason")]
    audited = len(deps) - len(skipped)
    lines = []
    for d in vulnerable:
        for v in d["vulns"]:
            fixes = ", ".join(v.get("fix_versions") or []) or "no fix yet"
            lines.append(f"VULNERABLE {d['name']} {d.get('version', '?')}: {v.get('id')} (fixed in {fixes})")
    if vulnerable:
        return 1, [*lines, f"{len(vulnerable)} of {len(deps)} dependencies have known vulnerabilities."]
    if pip_audit_status not in (0, 1):
        return pip_audit_status, [*lines, f"pip-audit failed (exit {pip_audit_status})."]
    if not audited:
        lines.append(
            f"AUDIT NOT PERFORMED: the advisory service could not be reached for any of the "
            f"{len(deps)} dependencies (offline or a mirror without advisory data)."
        )
        return (2 if required else 0), lines
    lines.append(
        f"No known vulnerabilities in {audited} audited dependencies"
        + (f"; {len(skipped)} could not be audited." if skipped else ".")
    )
    return 0, lines


def last_line(path: str | None) -> str:
    """pip-audit's own last word on what went wrong (its traceback is not worth printing)."""
    if not path:
        return ""
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = [line.strip() for line in f if line.strip() and not line.startswith(" ")]
    return lines[-1][:300] if lines else ""


def main(path: str, status: str, errors: str | None = None) -> int:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        report = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError:
        report = {}
    code, lines = summarize(report, int(status), os.environ.get("AUDIT_REQUIRED") == "1", last_line(errors))
    print("\n".join(lines), file=sys.stderr if code else sys.stdout)
    return code


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
