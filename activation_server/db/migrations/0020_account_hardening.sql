-- Accounts that can be taken back: server-side portal sessions, disabled users, company roles,
-- registrations that own nothing until confirmed, and an outbox that a background sender drains.

-- A vendor company's users are admins (may add and disable colleagues) or members.
ALTER TABLE users
    ADD COLUMN disabled_at timestamptz,
    ADD COLUMN company_role text NOT NULL DEFAULT 'admin'
        CONSTRAINT users_company_role CHECK (company_role IN ('admin', 'member'));

-- A confirmation link carries the registration it confirms: until a link is used, the
-- account's password and company are nobody's, and the registration whose link is used wins.
ALTER TABLE email_tokens
    ADD COLUMN password_hash text,
    ADD COLUMN company text,
    ADD COLUMN kind text;

-- Portal sign-ins. The cookie holds a random id whose hash is kept here, so a session can be
-- ended on the server (sign-out, password change, a user ending it from another browser).
CREATE TABLE portal_sessions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash bytea NOT NULL CONSTRAINT portal_sessions_token_key UNIQUE,
    user_id bigint NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    ended_at timestamptz,
    address inet,
    user_agent text NOT NULL DEFAULT ''
);
CREATE INDEX portal_sessions_user_idx ON portal_sessions (user_id) WHERE ended_at IS NULL;

-- The outbox is a queue: a sender in every worker process takes due messages with
-- FOR UPDATE SKIP LOCKED (so none goes out twice), retries with growing delays, and blanks the
-- body of a message holding a one-time code once it is delivered.
ALTER TABLE outbox
    ADD COLUMN html_body text,
    ADD COLUMN language text NOT NULL DEFAULT 'en',
    ADD COLUMN secret boolean NOT NULL DEFAULT false,
    ADD COLUMN attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN next_attempt_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN last_error text,
    ADD COLUMN scrubbed_at timestamptz;
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE sent_at IS NULL;
