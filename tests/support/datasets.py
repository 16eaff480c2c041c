"""Dataset ZIPs made on the fly: images with their expected JSON."""

from __future__ import annotations

import io
import zipfile

from webapp.benchmarks.samples import sample_receipts


def zip_of(files: dict[str, bytes | str], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


def receipts(count: int) -> dict[str, bytes | str]:
    """`count` generated receipts (each different), as file name -> content, with their .json."""
    files: dict[str, bytes | str] = {}
    for image, expected_text in sample_receipts(count):
        stem = image.filename.removesuffix(".png")
        files[image.filename] = image.data
        files[f"{stem}.json"] = expected_text
    return files
