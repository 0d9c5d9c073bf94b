-- Foundation: license types, vendors, products, serials, activations, signing keys, audit log.

CREATE TABLE license_types (
    code text PRIMARY KEY,
    name text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('full', 'trial')),
    activation_limit integer NOT NULL CHECK (activation_limit > 0),
    -- Full licenses move between machines (deactivate here, activate there); trials do not.
    transferable boolean NOT NULL,
    position smallint NOT NULL UNIQUE
);

INSERT INTO license_types (code, name, kind, activation_limit, transferable, position) VALUES
    ('SP1', 'Software key, 1 activation', 'full', 1, true, 1),
    ('SP3', 'Software key, 3 activations', 'full', 3, true, 2),
    ('SP5', 'Software key, 5 activations', 'full', 5, true, 3),
    ('TRIAL30K', 'Trial, pool of 30 000 activations', 'trial', 30000, false, 4),
    ('TRIAL100K', 'Trial, pool of 100 000 activations', 'trial', 100000, false, 5);

-- A software vendor (a company); accounts, balances and orders join it in later migrations.
CREATE TABLE vendors (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE products (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    vendor_id bigint NOT NULL REFERENCES vendors (id),
    -- Product codes are global: a license's audience must name exactly one product.
    code text NOT NULL CONSTRAINT products_code_key UNIQUE
        CONSTRAINT products_code_format CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    features text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX products_vendor_idx ON products (vendor_id);

CREATE TABLE serials (
    serial text PRIMARY KEY
        CONSTRAINT serials_serial_format
        CHECK (serial ~ '^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$'),
    product_id bigint NOT NULL REFERENCES products (id),
    license_type text NOT NULL REFERENCES license_types (code),
    -- Copied from the license type so that the hot path reads one row.
    trial boolean NOT NULL,
    transferable boolean NOT NULL,
    activation_limit integer NOT NULL CHECK (activation_limit > 0),
    used integer NOT NULL DEFAULT 0,
    features text[] NOT NULL DEFAULT '{}',
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'blocked')),
    valid_until timestamptz,
    trial_days integer CHECK (trial_days > 0),
    order_line_id bigint,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- The last line of defence against overselling: no statement can push used past the limit.
    CONSTRAINT serials_used_within_limit CHECK (used >= 0 AND used <= activation_limit),
    CONSTRAINT serials_trial_days CHECK (NOT trial OR trial_days IS NOT NULL)
);
CREATE INDEX serials_product_idx ON serials (product_id);
CREATE INDEX serials_order_line_idx ON serials (order_line_id);

CREATE TABLE activations (
    id uuid PRIMARY KEY,
    serial text NOT NULL REFERENCES serials (serial),
    fingerprint text NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
    -- What this machine was granted: the requested subset of the serial's features.
    features text[] NOT NULL,
    client jsonb NOT NULL DEFAULT '{}',
    address inet,
    via text NOT NULL DEFAULT 'online' CHECK (via IN ('online', 'offline')),
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    -- Trials: when this machine's trial ends.
    expires_at timestamptz,
    deactivated_at timestamptz
);
-- One live activation per machine and serial: the same machine activating again takes no slot.
CREATE UNIQUE INDEX activations_live_key ON activations (serial, fingerprint)
    WHERE deactivated_at IS NULL;
CREATE INDEX activations_serial_idx ON activations (serial, created_at);
CREATE INDEX activations_created_idx ON activations (created_at);

-- Public halves of the license signing keys; private halves stay in files of the data directory.
CREATE TABLE signing_keys (
    kid text PRIMARY KEY,
    public_key text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- A retired key no longer signs but stays published so that its licenses verify.
    retired_at timestamptz
);

-- Every state-changing action: who, what, when, from where. Rows are never changed or removed.
CREATE TABLE audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    actor text NOT NULL,
    vendor_id bigint,
    action text NOT NULL,
    subject text,
    address inet,
    details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_vendor_idx ON audit_log (vendor_id, at DESC);
CREATE INDEX audit_log_subject_idx ON audit_log (subject);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- Failed activation attempts per client address, shared by every worker process. Losing it in a
-- crash only forgets recent failures, so it skips the write-ahead log.
CREATE UNLOGGED TABLE rate_limit_hits (
    key text PRIMARY KEY,
    window_start timestamptz NOT NULL,
    hits integer NOT NULL
);
