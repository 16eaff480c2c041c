"""A benchmark's dataset as the ZIP it can be uploaded as again (docs/datasets.md): each image
under its file name, beside a same-named .json of the expected JSON."""

from __future__ import annotations

import json
import posixpath
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO


@dataclass
class DatasetFile:
    filename: str
    data: bytes
    expected: str | dict  # the draft's text as typed, or a report's JSON


def _unique(name: str, taken: set[str]) -> str:
    stem, ext = posixpath.splitext(name)
    n = 1
    while name.lower() in taken or f"{posixpath.splitext(name)[0]}.json".lower() in taken:
        n += 1
        name = f"{stem} ({n}){ext}"
    return name


def write_dataset(files: Iterable[DatasetFile]) -> IO[bytes]:
    """The ZIP in a temporary file, at its start. Names that would clash (a draft may hold two
    images of the same name) get " (2)"; images are stored as they are (already compressed)."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 (handed to the response, which closes it)
    taken: set[str] = set()
    with zipfile.ZipFile(out, "w") as archive:
        for f in files:
            name = _unique(f.filename, taken)
            json_name = f"{posixpath.splitext(name)[0]}.json"
            taken.update({name.lower(), json_name.lower()})
            text = f.expected if isinstance(f.expected, str) else json.dumps(f.expected, indent=2, ensure_ascii=False)
            archive.writestr(name, f.data, compress_type=zipfile.ZIP_STORED)
            archive.writestr(json_name, text, compress_type=zipfile.ZIP_DEFLATED)
    out.seek(0)
    return out
