import multiprocessing

import psycopg

from webapp.db.migrate import migrate, migration_files


def _schema(url):
    with psycopg.connect(url) as conn:
        return conn.execute("""
            SELECT table_name, column_name, data_type FROM information_schema.columns
            WHERE table_schema = 'public' ORDER BY 1, 2""").fetchall()


def test_migrations_applied_twice_change_nothing(database_url):
    before = _schema(database_url)
    assert migrate(database_url) == []  # the template database is already migrated
    assert _schema(database_url) == before
    with psycopg.connect(database_url) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM schema_migrations ORDER BY name")]
    assert names == [name for name, _ in migration_files()]


def _migrate_in_process(url, results):
    results.put(migrate(url))


def test_two_processes_migrating_at_once_both_succeed(databases):
    with psycopg.connect(databases.server.uri, autocommit=True) as conn:
        conn.execute("CREATE DATABASE empty_for_migrations")
    url = databases.server.url_for("empty_for_migrations")
    try:
        ctx = multiprocessing.get_context("spawn")
        results = ctx.Queue()
        procs = [ctx.Process(target=_migrate_in_process, args=(url, results)) for _ in range(2)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        assert [p.exitcode for p in procs] == [0, 0]
        applied = sorted([results.get(timeout=5), results.get(timeout=5)], key=len)
        # Exactly one process applied everything; the other found nothing left to do.
        assert applied[0] == []
        assert applied[1] == [name for name, _ in migration_files()]
    finally:
        databases.drop(url)


def test_images_of_reports_run_before_images_were_prepared_say_they_were_sent_as_uploaded(database_url):
    from tests.support.benchmarks import create_benchmark, create_user
    from tests.support.reports import make_report

    owner = create_user(database_url)
    finished = make_report(database_url, owner, images=2)
    queued = create_benchmark(database_url, owner, images=1)
    # The database as it was before 0008, with these reports in it; then 0008 applied to it.
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "ALTER TABLE report_images DROP COLUMN sent_data, DROP COLUMN sent_mime,"
            " DROP COLUMN sent_width, DROP COLUMN sent_height"
        )
        conn.execute("DELETE FROM schema_migrations WHERE name = '0008_prepared_images.sql'")
    assert migrate(database_url) == ["0008_prepared_images.sql"]
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            """SELECT report_id, (sent_mime, sent_width, sent_height) = (mime, width, height), sent_data IS NULL,
                      sent_width IS NULL
               FROM report_images ORDER BY report_id, position"""
        ).fetchall()
    assert rows == [(finished, True, True, False), (finished, True, True, False), (queued, None, True, True)]


def test_images_stored_before_blobs_move_into_one_blob_per_owner_and_content(databases):
    """0012 on a database that holds images: each owner's identical bytes become one blob, and
    every draft and report image still shows its own bytes."""
    with psycopg.connect(databases.server.uri, autocommit=True) as conn:
        conn.execute("CREATE DATABASE before_blobs")
    url = databases.server.url_for("before_blobs")
    try:
        with psycopg.connect(url) as conn:  # the schema as it was before 0012
            conn.execute("CREATE TABLE schema_migrations (name text PRIMARY KEY, applied_at timestamptz DEFAULT now())")
            for name, sql in migration_files():
                if name >= "0012":
                    break
                conn.execute(sql)
                conn.execute("INSERT INTO schema_migrations (name) VALUES (%s)", (name,))
            ada, bob = (
                conn.execute(
                    "INSERT INTO users (email, password_hash) VALUES (%s, 'x') RETURNING id", (email,)
                ).fetchone()[0]
                for email in ("ada@example.com", "bob@example.com")
            )
            receipt, other = b"receipt bytes", b"other bytes"
            for owner, data in [(ada, receipt), (ada, other), (bob, receipt)]:
                conn.execute("INSERT INTO benchmark_drafts (owner_id) VALUES (%s) ON CONFLICT DO NOTHING", (owner,))
                conn.execute(
                    "INSERT INTO draft_images (owner_id, filename, mime, width, height, data)"
                    " VALUES (%s, 'a.png', 'image/png', 1, 1, %s)",
                    (owner, data),
                )
            report = conn.execute(
                """INSERT INTO reports (owner_id, title, prompt, compare_mode, samples_per_image, priorities,
                                        model_ids, budget_usd, provider, is_simulated)
                   VALUES (%s, 't', 'p', 'strict', 1, '{accuracy}', '{m}', 1, 'simulated', true) RETURNING id""",
                (ada,),
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO report_images (report_id, position, filename, mime, width, height, data, expected)"
                " VALUES (%s, 0, 'a.png', 'image/png', 1, 1, %s, '{}')",
                (report, receipt),
            )
        applied = migrate(url)
        assert applied[0] == "0012_image_blobs.sql"
        with psycopg.connect(url) as conn:
            blobs = conn.execute("SELECT owner_id, data FROM image_blobs ORDER BY owner_id, data").fetchall()
            drafts = conn.execute(
                "SELECT d.owner_id, b.data FROM draft_images d JOIN image_blobs b ON b.id = d.blob_id ORDER BY 1, 2"
            ).fetchall()
            shown = conn.execute("SELECT b.data FROM report_images i JOIN image_blobs b ON b.id = i.blob_id").fetchall()
        # Ada's receipt is stored once for her draft and her report; Bob's copy is his own.
        assert blobs == [(ada, other), (ada, receipt), (bob, receipt)]
        assert drafts == [(ada, other), (ada, receipt), (bob, receipt)]
        assert shown == [(receipt,)]
    finally:
        databases.drop(url)
