-- Answers kept for a repeated submission: an API call's Idempotency-Key or a portal form's
-- one-time nonce. The first request claims the key (response_status NULL while it runs); a
-- repetition with the same fingerprint gets the stored answer, another fingerprint is refused.
CREATE TABLE idempotency_keys (
    scope text NOT NULL,
    key text NOT NULL,
    fingerprint text NOT NULL,
    response_status integer,
    response_type text,
    response_body bytea,
    location text,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
