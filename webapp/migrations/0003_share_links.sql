-- Share links can be revoked: the token stays (it is also the owner's address of the report),
-- but nobody except the owner can open it any more. Rotating makes a new token and clears this.
ALTER TABLE reports ADD COLUMN share_revoked_at timestamptz;

-- The completion email is claimed with UPDATE ... WHERE notified_at IS NULL; this finds the
-- reports that still need one quickly.
CREATE INDEX reports_unnotified ON reports (id) WHERE notified_at IS NULL;
