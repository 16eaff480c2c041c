"""A dataset as one ZIP: images, each with the JSON expected of it (docs/datasets.md).

Reading is in two passes over an open archive: `plan` looks at names and reads the JSON (small),
pairs each image with its expected JSON and finds every problem of names and shapes; then
`read_image` decodes one image at a time, so a hundred large images are never all in memory.
Nothing here stores anything: the caller decides, from the problems, whether anything is kept.
The image and JSON checks are the form's (`check_image`, `parse_expected`), so the ZIP refuses
exactly what the form refuses, with the same messages prefixed by the file name.
"""

from __future__ import annotations

import json
import posixpath
import zipfile
import zlib
from dataclasses import dataclass, field

from .expected_json import MAX_DEPTH, MAX_EXPECTED_CHARS, ExpectedJSONError, load_storable_json, parse_expected
from .uploads import MAX_FILENAME, MAX_IMAGE_BYTES, CheckedImage, ImageRejected, check_image

JSONL_NAME = "expected.jsonl"
JSONL_FILE_KEY, JSONL_EXPECTED_KEY = "file", "expected"
# Guards against archives made to exhaust the server: files, bytes once inflated, and how much
# one file may inflate (a scanned page compresses about 1:1, JSON about 1:10; bombs 1:1000).
MAX_ENTRIES = 1000
MAX_JSON_BYTES = 4 * MAX_EXPECTED_CHARS  # UTF-8 takes at most 4 bytes a character
MAX_JSONL_BYTES = 20 * 1024 * 1024
MAX_RATIO = 200
RATIO_CHECKED_ABOVE = 1024 * 1024  # a small file may compress as well as it likes
MAX_INFLATED_BYTES = 1100 * 1024 * 1024  # a hundred images of 10 MB, and their JSON
# Files that operating systems add to archives by themselves: skipped without a word.
SYSTEM_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}


class ZipRejected(ValueError):
    """The archive as a whole cannot be read; str(e) is a message for the user."""


@dataclass(frozen=True)
class Pair:
    """One image of the archive and the expected JSON found for it."""

    entry: zipfile.ZipInfo
    filename: str  # as stored in the draft
    expected_text: str


@dataclass
class Plan:
    pairs: list[Pair] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class DatasetZip:
    """An uploaded archive, read with every size bounded whatever its headers claim."""

    def __init__(self, stream):
        try:
            self.zip = zipfile.ZipFile(stream)
            entries = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
            raise ZipRejected("This file is not a ZIP archive that can be read.") from None
        if len(entries) > MAX_ENTRIES:
            raise ZipRejected(f"The ZIP holds {len(entries):,} files; at most {MAX_ENTRIES:,} are allowed.")
        declared = sum(e.file_size for e in entries)
        if declared > MAX_INFLATED_BYTES:
            raise ZipRejected(f"The ZIP inflates to {declared:,} bytes; at most {MAX_INFLATED_BYTES:,} are allowed.")
        self.inflated = 0

    def read(self, entry: zipfile.ZipInfo, limit: int) -> bytes:
        """At most `limit` + 1 bytes of the entry, and never more than MAX_RATIO times its
        compressed size (a header may lie about the size; the compressed bytes cannot)."""
        cap = min(limit, MAX_RATIO * entry.compress_size + RATIO_CHECKED_ABOVE)
        try:
            with self.zip.open(entry) as f:
                data = f.read(cap + 1)
        except RuntimeError:  # zipfile's word for an encrypted entry
            raise ImageRejected(f"{entry.filename} is encrypted; make the ZIP without a password.") from None
        except NotImplementedError:
            raise ImageRejected(f"{entry.filename} is compressed in a way that cannot be read; use Deflate.") from None
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error):
            raise ImageRejected(f"{entry.filename} is damaged in the ZIP and cannot be read.") from None
        self.inflated += len(data)
        if (len(data) > cap and cap < limit) or self.inflated > MAX_INFLATED_BYTES:
            raise ImageRejected(
                f"{entry.filename} inflates far beyond its compressed size; it is refused as a ZIP bomb."
            )
        return data

    def text(self, entry: zipfile.ZipInfo, limit: int) -> str:
        data = self.read(entry, limit)
        if len(data) > limit:
            raise ImageRejected(f"{entry.filename} is more than {limit:,} bytes.")
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise ImageRejected(f"{entry.filename} is not UTF-8 text (byte {e.start + 1}).") from None

    def image(self, pair: Pair) -> CheckedImage:
        """The pair's image, checked as an upload of the form is; raises ImageRejected."""
        return check_image(pair.filename, self.read(pair.entry, MAX_IMAGE_BYTES))


def _is_skipped(name: str) -> bool:
    parts = name.split("/")
    return "__MACOSX" in parts or parts[-1] in SYSTEM_NAMES or parts[-1].startswith("._")


def _unsafe(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]


def _base(name: str) -> str:
    return posixpath.basename(name.replace("\\", "/"))


def _stem(name: str) -> str:
    return posixpath.splitext(name)[0]


def _bomb(entry: zipfile.ZipInfo) -> str | None:
    if entry.file_size > RATIO_CHECKED_ABOVE and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
        return (
            f"{entry.filename} inflates from {entry.compress_size:,} to {entry.file_size:,} bytes, "
            f"more than {MAX_RATIO} times; it is refused as a ZIP bomb."
        )
    return None


def _jsonl(archive: DatasetZip, entry: zipfile.ZipInfo, problems: list[str]) -> dict[str, str]:
    """expected.jsonl: one object a line, {"file": "<image name>", "expected": {...}}; the
    expected value of each, as text for `parse_expected` to check like a .json file's."""
    found: dict[str, str] = {}
    where = entry.filename
    for number, line in enumerate(archive.text(entry, MAX_JSONL_BYTES).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = load_storable_json(
                line,
                f"{where} line {number}",
                invalid=f"{where} line {number} is not valid JSON",
                max_chars=MAX_EXPECTED_CHARS + 1000,
                max_depth=MAX_DEPTH + 1,
            )
        except ExpectedJSONError as e:
            problems.append(str(e).replace("(line 1, column", "(column"))
            continue
        name = row.get(JSONL_FILE_KEY) if isinstance(row, dict) else None
        if not isinstance(name, str) or JSONL_EXPECTED_KEY not in row:
            problems.append(
                f'{where} line {number}: write one object a line, {{"{JSONL_FILE_KEY}": "<image file name>", '
                f'"{JSONL_EXPECTED_KEY}": {{ … }}}}.'
            )
        elif _base(name) in found:
            problems.append(f"{where} line {number}: {name} is named twice; give each image one expected JSON.")
        else:
            found[_base(name)] = json.dumps(row[JSONL_EXPECTED_KEY], indent=2, ensure_ascii=False)
    return found


def _entries(archive: DatasetZip, problems: list[str]):
    """The archive's images, .json files by stem, and expected.jsonl, each name checked."""
    images: dict[str, zipfile.ZipInfo] = {}
    json_files: dict[str, zipfile.ZipInfo] = {}
    jsonl: zipfile.ZipInfo | None = None
    for entry in archive.zip.infolist():
        name = entry.filename
        if _unsafe(name):
            problems.append(f"{name} has a path that leads outside the archive; it is refused.")
            continue
        if entry.is_dir() or _is_skipped(name):
            continue
        bomb = _bomb(entry)
        base = _base(name)
        if bomb:
            problems.append(bomb)
        elif len(base) > MAX_FILENAME:
            problems.append(f"{name} has a name longer than {MAX_FILENAME} characters.")
        elif base == JSONL_NAME:
            if jsonl is not None:
                problems.append(f"{name}: the ZIP holds more than one {JSONL_NAME}.")
            jsonl = entry
        elif base.lower().endswith(".json"):
            if _stem(base) in json_files:
                problems.append(f"{name}: another file is also named {base}; names must be unique.")
            json_files[_stem(base)] = entry
        elif base in images:
            problems.append(f"{name}: another image is also named {base}; names must be unique.")
        else:
            images[base] = entry
    return images, json_files, jsonl


def plan(archive: DatasetZip) -> Plan:
    """Every image paired with its expected JSON, and every problem, each naming its file."""
    result = Plan()
    problems = result.problems
    images, json_files, jsonl = _entries(archive, problems)
    from_jsonl: dict[str, str] = {}
    if jsonl is not None:
        try:
            from_jsonl = _jsonl(archive, jsonl, problems)
        except ImageRejected as e:
            problems.append(str(e))
    # "receipt.png" takes "receipt.json", or "receipt.png.json" (two images may share a stem).
    takers: dict[str, list[str]] = {}
    for base in images:
        takers.setdefault(base if base in json_files else _stem(base), []).append(base)
    used: set[str] = set()
    for base, entry in images.items():
        key = base if base in json_files else _stem(base)
        if key in json_files and len(takers[key]) > 1:
            problems.append(
                f"{entry.filename}: {' and '.join(takers[key])} would share {key}.json; name it {base}.json."
            )
            used.add(key)
            continue
        if key in json_files and base in from_jsonl:
            problems.append(f"{entry.filename} has an expected JSON both in {key}.json and in {JSONL_NAME}; keep one.")
            used.add(key)
            continue
        try:
            if key in json_files:
                used.add(key)
                source = json_files[key].filename
                text = archive.text(json_files[key], MAX_JSON_BYTES)
            elif base in from_jsonl:
                source, text = f"{JSONL_NAME} ({base})", from_jsonl[base]
            else:
                problems.append(
                    f"{entry.filename} has no expected JSON: add {_stem(base)}.json or a line in {JSONL_NAME}."
                )
                continue
            parse_expected(text)
        except ImageRejected as e:
            problems.append(str(e))
            continue
        except ExpectedJSONError as e:
            problems.append(f"{source}: {e}")
            continue
        result.pairs.append(Pair(entry, base, text))
    problems.extend(f"{e.filename} has no image of the same name." for k, e in json_files.items() if k not in used)
    problems.extend(f"{JSONL_NAME} names {base}, which is not in the ZIP." for base in from_jsonl if base not in images)
    return result
