-- Job worker processes, and which one runs each report (see webapp/engine/presence.py).
-- A worker proves it is alive by its heartbeat; a report it claimed is its own until it ends,
-- the worker stops, or the worker is declared dead, so that after a database outage no other
-- worker starts it a second time.
CREATE TABLE engine_workers (
    id uuid PRIMARY KEY,
    host text NOT NULL,
    pid integer NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    -- Since when its heartbeats have come without a gap: only a worker that has had the
    -- database steadily for a while may declare another one dead.
    beating_since timestamptz NOT NULL DEFAULT now(),
    benchmarks integer NOT NULL DEFAULT 0,
    calls_in_flight integer NOT NULL DEFAULT 0
);

-- Deleting a worker (stopped, or declared dead) releases its reports to be queued again.
ALTER TABLE reports ADD COLUMN worker_id uuid REFERENCES engine_workers (id) ON DELETE SET NULL;
CREATE INDEX reports_worker_id ON reports (worker_id) WHERE worker_id IS NOT NULL;
