"""`visionbench run DIR`: a benchmark from a shell or a CI job, through the JSON API.

Uploads the folder's images with their same-named .json, shows the progress while it runs,
prints the ranking, writes the report JSON (`--out`), and exits with a code a CI job can act on
(see EXIT_CODES and docs/api.md). It talks HTTP with httpx, which the app already installs for
the openai SDK: its multipart uploads and timeouts would be hand-written with urllib."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TextIO

import httpx

PASSED, UNDER_THRESHOLD, USAGE_ERROR, BENCHMARK_FAILED = 0, 1, 2, 3
EXIT_CODES = {
    PASSED: "the benchmark completed (and the chosen model reached --fail-under)",
    UNDER_THRESHOLD: "the chosen model's accuracy is under --fail-under",
    USAGE_ERROR: "bad arguments, a bad folder, or the server refused the input or the token",
    BENCHMARK_FAILED: "the server could not be reached or failed, refused to start it now, or the benchmark failed",
}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp"}
DEFAULT_URL = "http://127.0.0.1:8000"


class Stop(Exception):
    """Ends the command: str(e) is printed on stderr, `code` is the exit status."""

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


def add_parser(sub) -> None:
    epilog = "Exit codes: " + "; ".join(f"{code}: {text}" for code, text in EXIT_CODES.items()) + "."
    run = sub.add_parser("run", help="run a benchmark of a folder of images through the API", epilog=epilog)
    run.add_argument("folder", type=Path, help="images (PNG, JPEG, WebP), each with a same-named .json it should give")
    run.add_argument("--models", required=True, help="model ids, comma-separated")
    run.add_argument("--prompt-file", required=True, type=Path, help="a file holding the extraction prompt")
    run.add_argument(
        "--fail-under", type=_fraction, help="fail (exit 1) when the chosen model's accuracy is under this, 0-1"
    )
    run.add_argument("--model", help="the model --fail-under judges (default: the recommended one)")
    run.add_argument("--out", type=Path, help="write the report JSON to this file")
    run.add_argument(
        "--url", default=os.environ.get("VISIONBENCH_URL", DEFAULT_URL), help="the server (env VISIONBENCH_URL)"
    )
    run.add_argument(
        "--token", default=os.environ.get("VISIONBENCH_TOKEN"), help="an API token (env VISIONBENCH_TOKEN)"
    )
    run.add_argument("--title", help="the benchmark's name")
    run.add_argument("--samples", help="samples per image (1-10, default 3)")
    run.add_argument("--compare-mode", choices=["strict", "relaxed"])
    run.add_argument("--budget", help="budget ceiling in USD")
    run.add_argument("--poll-seconds", type=float, default=2.0, help="how often to ask for progress")


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is not an accuracy from 0 to 1 (e.g. 0.9)")
    return value


def cmd_run(args) -> int:
    try:
        return _run(args)
    except Stop as e:
        print(f"visionbench run: {e}", file=sys.stderr)
        return e.code


def _run(args) -> int:
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    if not args.token:
        raise Stop("no API token: pass --token or set VISIONBENCH_TOKEN (your account page makes one).", USAGE_ERROR)
    if args.model and args.model not in models:
        raise Stop(f"--model {args.model} is not one of --models.", USAGE_ERROR)
    files = folder_files(args.folder)
    try:
        prompt = args.prompt_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise Stop(f"cannot read the prompt file {args.prompt_file}: {e}", USAGE_ERROR) from None
    settings = {"title": args.title, "samples": args.samples, "compare_mode": args.compare_mode, "budget": args.budget}
    fields = {"prompt": prompt, "models": ",".join(models), **{k: v for k, v in settings.items() if v is not None}}
    headers = {"Authorization": f"Bearer {args.token}", "User-Agent": "visionbench-run"}
    with httpx.Client(base_url=args.url.rstrip("/"), headers=headers, timeout=120) as client:
        created = _call(client, "POST", "/api/v1/benchmarks", data=fields, files=_multipart(files))
        print(f"Started benchmark {created['id']}: {created['runs']['total']} runs.", file=sys.stderr)
        status = follow(client, created, args.poll_seconds, sys.stderr)
        report = _call(client, "GET", f"/api/v1/benchmarks/{created['id']}/report")
    if args.out:
        args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if status["status"] != "complete":
        raise Stop(
            f"the benchmark {status['status']}: {status['failure_reason'] or 'no reason given'}", BENCHMARK_FAILED
        )
    print("\n".join(ranking_lines(report)))
    code, message = verdict(report, args.model, args.fail_under)
    print(message)
    return code


def folder_files(folder: Path) -> list[tuple[Path, Path]]:
    """(image, its expected JSON) for each image of the folder, by name."""
    if not folder.is_dir():
        raise Stop(f"{folder} is not a folder.", USAGE_ERROR)
    images = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not images:
        raise Stop(f"{folder} holds no images (PNG, JPEG or WebP).", USAGE_ERROR)
    missing = [p.name for p in images if not p.with_suffix(".json").is_file()]
    if missing:
        raise Stop(f"each image needs its expected JSON beside it; missing for: {', '.join(missing)}", USAGE_ERROR)
    return [(p, p.with_suffix(".json")) for p in images]


def _multipart(files: list[tuple[Path, Path]]) -> list[tuple[str, tuple[str, bytes, str]]]:
    parts = []
    for image, expected in files:
        parts.append(("images", (image.name, image.read_bytes(), "application/octet-stream")))
        parts.append(("expected", (expected.name, expected.read_bytes(), "application/json")))
    return parts


def _call(client: httpx.Client, method: str, path: str, **kwargs) -> dict:
    try:
        response = client.request(method, path, **kwargs)
    except httpx.HTTPError as e:
        raise Stop(f"cannot reach {client.base_url}: {e}", BENCHMARK_FAILED) from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.is_success and isinstance(body, dict):
        return body
    message = body.get("message") if isinstance(body, dict) else None
    if response.status_code in (400, 401, 404, 413):
        problems = body.get("errors") if isinstance(body, dict) else None
        lines = [f"{p['field']}: {p['message']}" if p.get("field") else p["message"] for p in problems or []]
        raise Stop(
            "\n  ".join(["the server refused the request:", *(lines or [message or response.reason_phrase])]),
            USAGE_ERROR,
        )
    raise Stop(f"the server answered {response.status_code}: {message or response.reason_phrase}", BENCHMARK_FAILED)


def follow(client: httpx.Client, status: dict, poll_seconds: float, out: TextIO) -> dict:
    """Polls the status until the benchmark is finished, drawing its progress on `out`: a bar
    redrawn in place on a terminal, a line per change in a CI log."""
    shown = None
    while True:
        runs = status["runs"]
        if (runs["done"], status["status"]) != shown:
            shown = (runs["done"], status["status"])
            print(progress_line(status, out.isatty()), end="\r" if out.isatty() else "\n", file=out, flush=True)
        if status["finished"]:
            if out.isatty():
                print(file=out)
            return status
        time.sleep(poll_seconds)
        status = _call(client, "GET", f"/api/v1/benchmarks/{status['id']}")


def progress_line(status: dict, bar: bool) -> str:
    runs = status["runs"]
    text = f"{runs['done']}/{runs['total']} runs done ({runs['percent']}%), {status['status']}"
    if runs["failed"]:
        text += f", {runs['failed']} failed"
    if not bar:
        return text
    width = 30
    filled = width * runs["percent"] // 100
    return f"[{'#' * filled}{'.' * (width - filled)}] {text}"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def ranking_lines(report: dict) -> list[str]:
    recommended = (report.get("recommendation") or {}).get("model_id")
    lines = [f"{'Rank':<5}{'Model':<42}{'Accuracy':>9}{'Exact':>8}{'Cost/run':>12}{'Median':>10}"]
    for m in report["summary"]:
        rank = str(m["rank"]) if m["rank"] else "—"
        cost = f"${float(m['cost_per_run_usd']):.6f}" if m["cost_per_run_usd"] is not None else "—"
        latency = f"{m['median_latency_ms'] / 1000:.2f} s" if m["median_latency_ms"] is not None else "—"
        mark = "  ← recommended" if m["model_id"] == recommended else ""
        lines.append(
            f"{rank:<5}{m['model_id']:<42}{_percent(m['accuracy']):>9}{_percent(m['exact_match_rate']):>8}"
            f"{cost:>12}{latency:>10}{mark}"
        )
    if report["report"].get("simulated"):
        lines.append("These results come from the simulated provider, not from real models.")
    return lines


def verdict(report: dict, model: str | None, threshold: float | None) -> tuple[int, str]:
    """(exit code, what to print) for the chosen model: `model`, else the recommended one."""
    chosen = model or (report.get("recommendation") or {}).get("model_id")
    if threshold is None:
        return PASSED, f"Recommended: {chosen}." if chosen else "No model could be recommended."
    if chosen is None:
        return UNDER_THRESHOLD, f"FAIL: no model finished a scored run, so none reaches {_percent(threshold)}."
    accuracy = next((m["accuracy"] for m in report["summary"] if m["model_id"] == chosen), None)
    if accuracy is None or accuracy < threshold:
        return UNDER_THRESHOLD, f"FAIL: {chosen} has accuracy {_percent(accuracy)}, under {_percent(threshold)}."
    return PASSED, f"PASS: {chosen} has accuracy {_percent(accuracy)}, at least {_percent(threshold)}."
