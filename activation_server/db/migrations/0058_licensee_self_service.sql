-- Licensee self-service: the end user of a serial signs in with a code mailed to the address the
-- vendor recorded for it (or with the license file) and frees a machine within the budget.

-- On by default: it gives a licensee no more than the machine's own deactivation already does
-- (one slot freed, within the same transfer budget), and it saves the vendor the support mail.
ALTER TABLE products ADD COLUMN self_service boolean NOT NULL DEFAULT true;

-- Beside the serials rather than in them: the hot table's rows stay narrow, and most serials
-- never get an address.
CREATE TABLE serial_licensees (
    serial text PRIMARY KEY REFERENCES serials (serial),
    email text NOT NULL CONSTRAINT serial_licensees_email CHECK (length(email) BETWEEN 3 AND 254),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- One-time sign-in codes: only the hash is kept; a newer code voids the older ones, and a code
-- dies after a few wrong tries, at its expiry or at its first use.
CREATE TABLE licensee_codes (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    serial text NOT NULL REFERENCES serials (serial),
    code_hash bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    wrong_tries integer NOT NULL DEFAULT 0,
    used_at timestamptz,
    voided_at timestamptz
);
CREATE INDEX licensee_codes_serial_idx ON licensee_codes (serial, created_at DESC);

-- A licensee's sign-in: the cookie holds a random token whose hash is kept here, scoped to one
-- serial; sign-out ends it on the server.
CREATE TABLE licensee_sessions (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash bytea NOT NULL CONSTRAINT licensee_sessions_token_key UNIQUE,
    serial text NOT NULL REFERENCES serials (serial),
    via text NOT NULL CONSTRAINT licensee_sessions_via CHECK (via IN ('code', 'license')),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    ended_at timestamptz,
    address inet
);

-- A machine freed by the licensee on the self-service pages counts against the same budget.
ALTER TABLE transfers DROP CONSTRAINT transfers_by;
ALTER TABLE transfers ADD CONSTRAINT transfers_by CHECK (by IN ('machine', 'vendor', 'licensee'));
