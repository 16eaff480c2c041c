-- Login and sign-up attempts, counted per key by webapp/auth/throttle.py: a login attempt is
-- recorded before its password is checked (and taken back when it was right), so the table
-- holds attempts, not only failures, and each needs an id to be taken back by.
ALTER TABLE login_failures RENAME TO throttle_attempts;
ALTER TABLE throttle_attempts RENAME COLUMN failed_at TO made_at;
ALTER INDEX login_failures_key_time RENAME TO throttle_attempts_key_time;
ALTER TABLE throttle_attempts ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;
