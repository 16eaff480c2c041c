"""What the models are sent of each image: a real worker calls the local OpenAI-compatible
server, which keeps every request body; the image is read back from its data URL."""

import base64
import csv
import io
import json
import re
import signal
from collections import defaultdict

import psycopg
import pytest
from PIL import Image

from tests.support.benchmarks import EXPECTED, create_benchmark, create_user, report_status, run_counts, wait_for
from tests.support.fake_openai import FakeOpenAI
from tests.support.images import BLUE, RED, colour_at, encoded, is_close, noisy_background, upright_picture
from tests.support.live_server import LiveServer
from tests.support.reports import share_token
from webapp.domain import SENT_IMAGE_MAX_BYTES

MODELS = ["openai/gpt-5-nano", "google/gemini-2.5-flash"]
PREPARED_LOG = re.compile(r"report (\d+): image (\d+) prepared")


@pytest.fixture
def workers(database_url, tmp_path):
    server = LiveServer(database_url, tmp_path)  # only its worker processes are used here
    yield server
    server.stop()


def sent_images(fake: FakeOpenAI) -> list[tuple[str, bytes]]:
    """(mime, bytes) of the image in each request, in the order they came."""
    sent = []
    for request in fake.requests:
        [message] = request.body["messages"]
        [image] = [part for part in message["content"] if part["type"] == "image_url"]
        header, data = image["image_url"]["url"].split(",", 1)
        mime = re.fullmatch(r"data:(image/[a-z]+);base64", header).group(1)
        sent.append((mime, base64.b64decode(data)))
    return sent


def size_of(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as img:
        return img.size


def assert_upright(data: bytes) -> None:
    """Red block top left, blue elsewhere, as the model sees it (a model ignores EXIF)."""
    assert is_close(colour_at(data, 0.1, 0.1), RED)
    for x, y in ((0.9, 0.1), (0.1, 0.9), (0.9, 0.9)):
        assert is_close(colour_at(data, x, y), BLUE), (x, y)


def prepared_lines(workers: LiveServer, report_id: int) -> list[str]:
    return [m.group(2) for m in PREPARED_LOG.finditer(workers.log.read_text()) if int(m.group(1)) == report_id]


def run_to_the_end(database_url, workers, fake, report_id, **env) -> None:
    workers.start_worker(PROVIDER_BASE_URL=fake.base_url, PROVIDER_API_KEY="sk-test-key", **env)
    wait_for(lambda: report_status(database_url, report_id) in ("complete", "failed"), timeout=90, message="the report")
    assert report_status(database_url, report_id) == "complete"


def test_a_phone_photo_a_rotated_portrait_and_a_small_scan_reach_the_models_as_providers_want(
    database_url, workers, client
):
    photo = encoded(upright_picture(background=noisy_background((8000, 6000))), "JPEG", quality=80)
    portrait = encoded(upright_picture((3000, 4000)), "JPEG", orientation=6, quality=95)  # stored 4,000 x 3,000
    scan = encoded(upright_picture((640, 480)), "PNG")
    assert len(photo) > SENT_IMAGE_MAX_BYTES  # a phone's: over the byte limit as well as the side
    owner = create_user(database_url)
    files = [("photo.jpg", photo), ("portrait.jpg", portrait), ("scan.png", scan)]
    report_id = create_benchmark(
        database_url, owner, models=MODELS, samples=2, provider="openai_compatible", files=files
    )
    with FakeOpenAI() as fake:
        fake.reply_json(EXPECTED)
        run_to_the_end(database_url, workers, fake, report_id)
    by_size = defaultdict(set)
    for mime, data in sent_images(fake):
        by_size[size_of(data)].add((mime, data))
    # Every call of an image sent the same bytes: 2 models x 2 samples each.
    assert len(fake.requests) == 3 * 2 * 2
    assert sorted(by_size) == [(640, 480), (1536, 2048), (2048, 1536)]
    assert all(len(variants) == 1 for variants in by_size.values())
    [(photo_mime, photo_sent)] = by_size[(2048, 1536)]
    assert photo_mime == "image/jpeg" and len(photo_sent) <= SENT_IMAGE_MAX_BYTES
    assert is_close(colour_at(photo_sent, 0.1, 0.1), RED)
    [(portrait_mime, portrait_sent)] = by_size[(1536, 2048)]
    assert portrait_mime == "image/jpeg" and len(portrait_sent) <= SENT_IMAGE_MAX_BYTES
    assert_upright(portrait_sent)
    assert by_size[(640, 480)] == {("image/png", scan)}  # byte for byte

    # Prepared once per image, not once per call.
    assert sorted(prepared_lines(workers, report_id)) == ["1", "2", "3"]
    # The upload is kept as it was, for the report to show.
    with psycopg.connect(database_url) as conn:
        stored = [
            r[0]
            for r in conn.execute(
                "SELECT b.data FROM report_images i JOIN image_blobs b ON b.id = i.blob_id"
                " WHERE i.report_id = %s ORDER BY i.position",
                (report_id,),
            )
        ]
    assert stored == [photo, portrait, scan]

    token = share_token(database_url, report_id)
    page = client.get(f"/r/{token}?image=1").get_data(as_text=True)
    assert "Sent to the models: 2,048 × 1,536 px, JPEG" in page and "(uploaded: 8,000 × 6,000 px, JPEG" in page
    page = client.get(f"/r/{token}?image=2").get_data(as_text=True)
    assert "Sent to the models: 1,536 × 2,048 px, JPEG" in page and "(uploaded: 4,000 × 3,000 px" in page
    page = client.get(f"/r/{token}?image=3").get_data(as_text=True)
    assert f"Sent to the models as uploaded: 640 × 480 px, PNG, {len(scan) / 1024:.0f} KB." in page
    exported = json.loads(client.get(f"/r/{token}/report.json").get_data(as_text=True))
    assert [i["sent"] for i in exported["images"]] == [
        {"width": 2048, "height": 1536, "mime": "image/jpeg", "bytes": len(photo_sent), "as_uploaded": False},
        {"width": 1536, "height": 2048, "mime": "image/jpeg", "bytes": len(portrait_sent), "as_uploaded": False},
        {"width": 640, "height": 480, "mime": "image/png", "bytes": len(scan), "as_uploaded": True},
    ]
    rows = list(csv.DictReader(io.StringIO(client.get(f"/r/{token}/runs.csv").get_data(as_text=True).lstrip("\ufeff"))))
    sent = {(r["image_filename"], r["image_sent_width"], r["image_sent_height"]) for r in rows}
    assert sent == {("photo.jpg", "2048", "1536"), ("portrait.jpg", "1536", "2048"), ("scan.png", "640", "480")}
    assert exported["images"][0]["uploaded"] == {
        "width": 8000,
        "height": 6000,
        "mime": "image/jpeg",
        "bytes": len(photo),
    }


def test_a_benchmark_taken_over_by_another_worker_reuses_the_prepared_images(database_url, workers):
    portraits = [
        (f"portrait-{i}.jpg", encoded(upright_picture((300 + i, 400)), "JPEG", orientation=8)) for i in range(2)
    ]
    owner = create_user(database_url)
    report_id = create_benchmark(
        database_url, owner, models=MODELS, samples=2, provider="openai_compatible", files=portraits
    )
    with FakeOpenAI(delay=0.3) as fake:
        fake.reply_json(EXPECTED)
        first = workers.start_worker(
            PROVIDER_BASE_URL=fake.base_url, PROVIDER_API_KEY="sk-test-key", MAX_CALLS_PER_REPORT="1"
        )
        wait_for(lambda: run_counts(database_url, report_id).get("complete", 0) >= 1, message="a run to complete")
        first.send_signal(signal.SIGKILL)
        first.wait()
        assert sorted(prepared_lines(workers, report_id)) == ["1", "2"]
        run_to_the_end(database_url, workers, fake, report_id)
    # The second worker sent what the first one prepared, and prepared nothing again.
    assert sorted(prepared_lines(workers, report_id)) == ["1", "2"]
    by_size = defaultdict(set)
    for _, data in sent_images(fake):
        by_size[size_of(data)].add(data)
    assert sorted(by_size) == [(300, 400), (301, 400)]
    assert all(len(variants) == 1 for variants in by_size.values())
    for [data] in by_size.values():
        assert_upright(data)
