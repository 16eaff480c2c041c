-- Fixing the ground truth after a run: the owner edits an image's expected JSON (or switches the
-- comparison), every run is rescored from its stored output, and the report says so.
ALTER TABLE reports
    ADD COLUMN expected_edited_at timestamptz,
    ADD COLUMN rescored_runs integer NOT NULL DEFAULT 0;
