-- The live progress aggregate (webapp/benchmarks/progress.py) reads every run of a report on each
-- change. A covering index gives it the runs from the index alone, already in model and latency
-- order (the median needs that order); it also serves every lookup by (report_id, model_id).
CREATE INDEX benchmark_runs_progress ON benchmark_runs (report_id, model_id, latency_ms)
    INCLUDE (status, field_accuracy);
DROP INDEX benchmark_runs_report_model;

-- Each model's last error: failed runs only, newest first.
CREATE INDEX benchmark_runs_failed ON benchmark_runs (report_id, model_id, finished_at DESC)
    WHERE status = 'failed';
