-- Structured outputs: the schema a benchmark's models are held to, the user's choice of how
-- (the strongest each model supports, or the prompt only for all), the mode planned per model
-- at start ({"model id": "json_schema" | "json_object" | "prompt"}), and the mode each run's
-- answer came back in (weaker than planned when the provider refused the planned one).
ALTER TABLE reports
    ADD COLUMN output_schema json,  -- json, not jsonb: keeps the order of keys, which models follow
    ADD COLUMN output_mode_choice text NOT NULL DEFAULT 'strongest'
        CHECK (output_mode_choice IN ('strongest', 'prompt')),
    ADD COLUMN output_modes jsonb NOT NULL DEFAULT '{}'::jsonb;

ALTER TABLE benchmark_runs
    ADD COLUMN output_mode text CHECK (output_mode IN ('json_schema', 'json_object', 'prompt'));

-- The weaker mode a model fell back to after a refusal ({"model id": mode}): the report says so,
-- and a worker that picks the report up again starts that model there.
ALTER TABLE reports ADD COLUMN output_fallbacks jsonb NOT NULL DEFAULT '{}'::jsonb;
