-- Personal API tokens, for the JSON API and `visionbench run` in CI. Like login sessions, only
-- the token's hash is stored; the token is shown once. Revoking deletes the row.
CREATE TABLE api_tokens (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    token_hash   text NOT NULL UNIQUE,
    hint         text NOT NULL,  -- the token's first characters, so its owner can tell tokens apart
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz
);
CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at);
