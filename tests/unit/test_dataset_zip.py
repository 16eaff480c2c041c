"""Reading a dataset ZIP: pairing images with their expected JSON, every problem named per file,
archives made to hurt refused; and the ZIP written back reads as the same dataset."""

import io
import json
import zipfile

import pytest

from tests.support.datasets import receipts, zip_of
from tests.support.images import png
from webapp.benchmarks import dataset_zip
from webapp.benchmarks.dataset_export import DatasetFile, write_dataset
from webapp.benchmarks.dataset_zip import DatasetZip, ZipRejected, plan
from webapp.benchmarks.uploads import ImageRejected

GOOD = '{"total": 12.5}'


def read(files: dict, **options) -> dataset_zip.Plan:
    return plan(DatasetZip(io.BytesIO(zip_of(files, **options))))


def test_images_pair_with_same_named_json_or_a_line_of_expected_jsonl():
    jsonl = json.dumps({"file": "b.jpg", "expected": {"total": 3}}) + "\n\n"
    found = read(
        {
            "receipts/": "",
            "receipts/a.png": png(),
            "receipts/a.json": GOOD,
            "receipts/b.jpg": png(),
            "expected.jsonl": jsonl,
            "__MACOSX/receipts/._a.png": b"\x00\x05\x16\x07",
            "receipts/.DS_Store": b"\x00\x00\x00\x01Bud1",
        }
    )
    assert found.problems == []
    assert [(p.filename, json.loads(p.expected_text)) for p in found.pairs] == [
        ("a.png", {"total": 12.5}),
        ("b.jpg", {"total": 3}),
    ]
    assert found.pairs[0].expected_text == GOOD  # the file's text as written


def test_two_images_of_one_stem_take_their_full_names():
    found = read({"a.png": png(), "a.jpg": png(), "a.png.json": GOOD, "a.jpg.json": '{"total": 1}'})
    assert found.problems == []
    assert {p.filename: p.expected_text for p in found.pairs} == {"a.png": GOOD, "a.jpg": '{"total": 1}'}


def test_every_problem_is_reported_with_its_file_name():
    found = read(
        {
            "ok.png": png(),
            "ok.json": GOOD,
            "no-label.png": png(),
            "broken.png": png(),
            "broken.json": '{"total": 12.5,\n  "date": }',
            "list.png": png(),
            "list.json": "[1, 2]",
            "a/twice.png": png(),
            "b/twice.png": png(),
            "twice.json": GOOD,
            "orphan.json": GOOD,
            "notes.txt": b"hello",
            "notes.json": GOOD,
            "expected.jsonl": '{"file": "ghost.png", "expected": {}}\n{"file": "x.png" "expected": {}}\n',
        }
    )
    assert found.problems == [
        "b/twice.png: another image is also named twice.png; names must be unique.",
        "expected.jsonl line 2 is not valid JSON: Expecting ',' delimiter (column 18).",
        "no-label.png has no expected JSON: add no-label.json or a line in expected.jsonl.",
        "broken.json: This is not valid JSON: Expecting value (line 2, column 11).",
        "list.json: The expected JSON must be an object ({ … }), not an array.",
        "orphan.json has no image of the same name.",
        "expected.jsonl names ghost.png, which is not in the ZIP.",
    ]
    # What pairs well is then decoded as an image: the text file is refused as the form refuses it.
    archive = DatasetZip(io.BytesIO(zip_of({"notes.txt": b"hello", "notes.json": GOOD})))
    (pair,) = plan(archive).pairs
    with pytest.raises(ImageRejected, match=r"^notes.txt is not an image we can read; use JPEG, PNG or WebP\.$"):
        archive.image(pair)


@pytest.mark.parametrize("name", ["../evil.png", "/etc/evil.png", "a/../../evil.png", "C:/evil.png"])
def test_paths_leading_out_of_the_archive_are_refused(name):
    found = read({name: png(), "evil.json": GOOD})
    assert f"{name} has a path that leads outside the archive; it is refused." in found.problems


def test_a_file_that_inflates_more_than_200_times_is_refused_as_a_bomb():
    found = read({"bomb.png": b"\x00" * (20 * 1024 * 1024), "bomb.json": GOOD})
    bomb, orphan = found.problems
    assert bomb.startswith("bomb.png inflates from ")
    assert bomb.endswith(" to 20,971,520 bytes, more than 200 times; it is refused as a ZIP bomb.")
    assert orphan == "bomb.json has no image of the same name."
    assert found.pairs == []


def test_a_header_that_lies_about_the_size_is_read_no_further_than_it_says():
    content = zip_of({"bomb.png": b"\x00" * (3 * 1024 * 1024), "bomb.json": GOOD})
    archive = DatasetZip(io.BytesIO(content))
    entry = archive.zip.getinfo("bomb.png")
    entry.file_size = 100  # as a crafted central directory would claim
    with pytest.raises(ImageRejected, match=r"^bomb.png is damaged in the ZIP and cannot be read\.$"):
        archive.read(entry, 10 * 1024 * 1024)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"not a zip at all", "This file is not a ZIP archive that can be read."),
        (b"", "This file is not a ZIP archive that can be read."),
        (zip_of({f"{i}.json": "{}" for i in range(1001)}), "The ZIP holds 1,001 files; at most 1,000 are allowed."),
    ],
)
def test_what_is_not_a_readable_zip_is_refused_whole(content, message):
    with pytest.raises(ZipRejected) as refused:
        DatasetZip(io.BytesIO(content))
    assert str(refused.value) == message


def test_the_written_zip_reads_back_as_the_same_dataset():
    files = receipts(3)
    images = [
        DatasetFile(n, c, files[n.removesuffix(".png") + ".json"]) for n, c in files.items() if n.endswith(".png")
    ]
    twin = DatasetFile("sample-receipt-1.png", png(), {"total": 1})  # a second image of the same name
    written = write_dataset([*images, twin])
    archive = DatasetZip(written)
    assert archive.zip.namelist()[-2:] == ["sample-receipt-1 (2).png", "sample-receipt-1 (2).json"]
    found = plan(archive)
    assert found.problems == []
    assert [(p.filename, p.expected_text) for p in found.pairs] == [
        *[(i.filename, i.expected) for i in images],
        ("sample-receipt-1 (2).png", '{\n  "total": 1\n}'),
    ]
    assert [archive.image(p).data for p in found.pairs] == [*[i.data for i in images], twin.data]
    assert archive.zip.getinfo("sample-receipt-1.png").compress_type == zipfile.ZIP_STORED
