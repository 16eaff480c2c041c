-- Each image is stored once per owner, named by the SHA-256 of its bytes: a draft and every
-- report made from it ("Run again") point at the same bytes, and the storage quota counts them
-- once. A blob lives while a draft or report image points at it (webapp/benchmarks/queries.py
-- drops the others under the owner's lock). The engine's prepared copy (sent_data) stays per
-- report image: it is what that benchmark sent.
CREATE TABLE image_blobs (
    id       bigserial PRIMARY KEY,
    owner_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sha256   bytea NOT NULL CHECK (octet_length(sha256) = 32),
    data     bytea NOT NULL,
    UNIQUE (owner_id, sha256)
);

INSERT INTO image_blobs (owner_id, sha256, data)
SELECT owner_id, sha256(data), data FROM draft_images
UNION ALL
SELECT r.owner_id, sha256(i.data), i.data FROM report_images i JOIN reports r ON r.id = i.report_id
ON CONFLICT (owner_id, sha256) DO NOTHING;

ALTER TABLE draft_images ADD COLUMN blob_id bigint REFERENCES image_blobs (id);
UPDATE draft_images d SET blob_id = b.id
FROM image_blobs b WHERE b.owner_id = d.owner_id AND b.sha256 = sha256(d.data);
ALTER TABLE draft_images ALTER COLUMN blob_id SET NOT NULL, DROP COLUMN data;

ALTER TABLE report_images ADD COLUMN blob_id bigint REFERENCES image_blobs (id);
UPDATE report_images i SET blob_id = b.id
FROM reports r, image_blobs b
WHERE r.id = i.report_id AND b.owner_id = r.owner_id AND b.sha256 = sha256(i.data);
ALTER TABLE report_images ALTER COLUMN blob_id SET NOT NULL, DROP COLUMN data;

-- Finding whether a blob is still used, when an image or a report goes.
CREATE INDEX draft_images_blob ON draft_images (blob_id);
CREATE INDEX report_images_blob ON report_images (blob_id);

-- "Run again": the report a draft was filled from, kept by the report started from it, so that
-- the new report can be compared with the original.
ALTER TABLE benchmark_drafts ADD COLUMN rerun_of bigint REFERENCES reports (id) ON DELETE SET NULL;
ALTER TABLE reports ADD COLUMN rerun_of bigint REFERENCES reports (id) ON DELETE SET NULL;
