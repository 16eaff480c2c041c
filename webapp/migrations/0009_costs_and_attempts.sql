-- Costs and latency that match the bill.
-- The estimate shown when the benchmark was started, kept so the report can set it against
-- what the runs really cost (NULL for reports started before it was kept).
ALTER TABLE reports ADD COLUMN estimated_cost_usd numeric(12, 6);

-- latency_ms is the successful (or last) call alone. What came before it is kept apart: how many
-- calls the run made (429s retried included) and the time spent on the calls that failed and
-- the waits after them. Not `attempts`: that column fences a run's claims by workers.
ALTER TABLE benchmark_runs
    ADD COLUMN call_attempts integer,
    ADD COLUMN waited_ms integer;

-- The estimate of a new benchmark reads the mean tokens of every earlier complete run of each
-- model it picks, on each keystroke of the form: from this index alone.
CREATE INDEX benchmark_runs_tokens ON benchmark_runs (model_id) INCLUDE (report_id, input_tokens, output_tokens)
    WHERE status = 'complete' AND input_tokens IS NOT NULL AND output_tokens IS NOT NULL;
