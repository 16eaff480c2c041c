-- Users, benchmark drafts, reports, their images and runs, and the progress notifications.

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    email         text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

-- Server-side record of each login, so a session can be ended for good (logout) and every
-- login gets a new id. The cookie holds the token; the table holds only its hash.
CREATE TABLE user_sessions (
    token_hash  text PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_sessions_user ON user_sessions (user_id);

-- Failed logins, counted per key (an email or a client address) over a sliding window.
CREATE TABLE login_failures (
    key        text NOT NULL,
    failed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_key_time ON login_failures (key, failed_at);

-- The new-benchmark form kept between requests, so errors and reloads lose nothing.
CREATE TABLE benchmark_drafts (
    owner_id   bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    form       jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE draft_images (
    id            bigserial PRIMARY KEY,
    owner_id      bigint NOT NULL REFERENCES benchmark_drafts (owner_id) ON DELETE CASCADE,
    filename      text NOT NULL,
    mime          text NOT NULL,
    width         int NOT NULL,
    height        int NOT NULL,
    data          bytea NOT NULL,
    expected_text text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX draft_images_owner ON draft_images (owner_id, id);

CREATE TABLE reports (
    id                bigserial PRIMARY KEY,
    owner_id          bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title             text NOT NULL,
    status            text NOT NULL DEFAULT 'queued'
                      CHECK (status IN ('queued', 'running', 'complete', 'failed', 'cancelled')),
    prompt            text NOT NULL,
    compare_mode      text NOT NULL CHECK (compare_mode IN ('strict', 'relaxed')),
    samples_per_image int NOT NULL CHECK (samples_per_image BETWEEN 1 AND 10),
    priorities        text[] NOT NULL,
    model_ids         text[] NOT NULL,
    budget_usd        numeric(12, 6) NOT NULL,
    provider          text NOT NULL,
    is_simulated      boolean NOT NULL,
    share_token       text UNIQUE,
    failure_reason    text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    finished_at       timestamptz,
    notified_at       timestamptz
);
CREATE INDEX reports_owner_created ON reports (owner_id, created_at DESC);

CREATE TABLE report_images (
    id          bigserial PRIMARY KEY,
    report_id   bigint NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    position    int NOT NULL,
    filename    text NOT NULL,
    mime        text NOT NULL,
    width       int NOT NULL,
    height      int NOT NULL,
    data        bytea NOT NULL,
    expected    jsonb NOT NULL,
    UNIQUE (report_id, position)
);

CREATE TABLE benchmark_runs (
    id             bigserial PRIMARY KEY,
    report_id      bigint NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    model_id       text NOT NULL,
    image_id       bigint NOT NULL REFERENCES report_images (id) ON DELETE CASCADE,
    sample_index   int NOT NULL,
    status         text NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'running', 'complete', 'failed', 'skipped')),
    attempts       int NOT NULL DEFAULT 0,
    started_at     timestamptz,
    finished_at    timestamptz,
    latency_ms     int,
    input_tokens   int,
    output_tokens  int,
    cost_usd       numeric(12, 6),
    raw_output     text,
    parsed_json    jsonb,
    exact          boolean,
    field_accuracy double precision,
    correct_fields int,
    total_fields   int,
    diffs          jsonb,
    error          text,
    UNIQUE (report_id, model_id, image_id, sample_index)
);
CREATE INDEX benchmark_runs_report_model ON benchmark_runs (report_id, model_id);

-- Realtime: the payload is only the report id; the tables are the truth. NOTIFY is delivered on
-- commit, and identical notifications within one transaction collapse into one.
CREATE FUNCTION notify_report_progress() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'reports' THEN
        PERFORM pg_notify('report_progress', NEW.id::text);
    ELSE
        PERFORM pg_notify('report_progress', NEW.report_id::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER benchmark_runs_inserted AFTER INSERT ON benchmark_runs
    FOR EACH ROW EXECUTE FUNCTION notify_report_progress();
CREATE TRIGGER benchmark_runs_status_changed AFTER UPDATE OF status ON benchmark_runs
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION notify_report_progress();
CREATE TRIGGER reports_status_changed AFTER UPDATE OF status ON reports
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION notify_report_progress();
