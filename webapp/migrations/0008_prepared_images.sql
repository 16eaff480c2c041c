-- What the models are sent of each image: upright, downscaled and re-encoded as providers want
-- it (webapp/engine/image_prep.py), prepared once when the engine first claims the report. The
-- upload itself stays in `data`, shown on the report. sent_width IS NULL: not prepared yet;
-- sent_data IS NULL (once prepared): the upload is sent as it is, byte for byte.
ALTER TABLE report_images
    ADD COLUMN sent_data bytea,
    ADD COLUMN sent_mime text,
    ADD COLUMN sent_width int,
    ADD COLUMN sent_height int,
    ADD CONSTRAINT report_images_sent_together
        CHECK ((sent_width IS NULL) = (sent_height IS NULL) AND (sent_width IS NULL) = (sent_mime IS NULL)
               AND (sent_data IS NULL OR sent_width IS NOT NULL));

-- Benchmarks that ran before images were prepared sent every upload as it was.
UPDATE report_images i SET sent_mime = i.mime, sent_width = i.width, sent_height = i.height
FROM reports r
WHERE r.id = i.report_id AND r.started_at IS NOT NULL AND r.status NOT IN ('queued', 'running');
