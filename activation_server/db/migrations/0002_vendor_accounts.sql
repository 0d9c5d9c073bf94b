-- Vendor accounts and ordering: users, e-mail, API keys, price list, orders, payments, balances.

ALTER TABLE vendors
    ADD COLUMN kind text NOT NULL DEFAULT 'legal_entity'
        CONSTRAINT vendors_kind CHECK (kind IN ('legal_entity', 'individual')),
    ADD COLUMN discount_percent integer NOT NULL DEFAULT 0
        CONSTRAINT vendors_discount_percent CHECK (discount_percent BETWEEN 0 AND 100),
    -- The prepaid balance in the price list's currency, minor units; the ledger explains it.
    ADD COLUMN balance bigint NOT NULL DEFAULT 0
        CONSTRAINT vendors_balance_not_negative CHECK (balance >= 0);

CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Stored lower-cased, so that one address is one account however it is typed.
    email text NOT NULL CONSTRAINT users_email_key UNIQUE
        CONSTRAINT users_email_lower CHECK (email = lower(email) AND length(email) <= 254),
    password_hash text NOT NULL,
    role text NOT NULL CONSTRAINT users_role CHECK (role IN ('vendor', 'staff')),
    vendor_id bigint REFERENCES vendors (id),
    confirmed_at timestamptz,
    -- Raised by a password change or reset: session tokens issued before it stop working.
    token_version integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_vendor_role CHECK ((role = 'vendor') = (vendor_id IS NOT NULL))
);
CREATE INDEX users_vendor_idx ON users (vendor_id);

-- One-time links sent by e-mail (confirmation, password reset); only their hash is kept.
CREATE TABLE email_tokens (
    token_hash bytea PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id),
    purpose text NOT NULL CHECK (purpose IN ('confirm', 'reset')),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
CREATE INDEX email_tokens_user_idx ON email_tokens (user_id, purpose);

CREATE TABLE api_keys (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- The first characters, shown in lists so that a person can tell keys apart.
    prefix text NOT NULL,
    key_hash bytea NOT NULL CONSTRAINT api_keys_hash_key UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX api_keys_user_idx ON api_keys (user_id);

-- Every e-mail the server wrote; sent_at stays empty when no SMTP server is configured (or it
-- refused), so the message can still be read here and in the log.
CREATE TABLE outbox (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz
);

CREATE TABLE prices (
    license_type text PRIMARY KEY REFERENCES license_types (code),
    unit_price bigint NOT NULL CHECK (unit_price >= 0),
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$')
);
-- 50 x SP1 = 11 000.00 RUB, as in the Guardant price list.
INSERT INTO prices (license_type, unit_price, currency) VALUES
    ('SP1', 22000, 'RUB'),
    ('SP3', 55000, 'RUB'),
    ('SP5', 80000, 'RUB'),
    ('TRIAL30K', 1500000, 'RUB'),
    ('TRIAL100K', 4000000, 'RUB');

-- Gap-free numbers: taken by UPDATE in the transaction that uses them, so a rollback gives the
-- number back (a sequence would leave holes in the invoice numbering).
CREATE TABLE counters (
    name text PRIMARY KEY,
    value bigint NOT NULL
);
INSERT INTO counters (name, value) VALUES ('order', 0), ('invoice', 0);

CREATE TABLE orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number bigint NOT NULL CONSTRAINT orders_number_key UNIQUE,
    vendor_id bigint NOT NULL REFERENCES vendors (id),
    status text NOT NULL DEFAULT 'placed'
        CONSTRAINT orders_status CHECK (status IN ('placed', 'invoiced', 'fulfilled', 'cancelled')),
    currency text NOT NULL,
    discount_percent integer NOT NULL CHECK (discount_percent BETWEEN 0 AND 100),
    subtotal bigint NOT NULL CHECK (subtotal >= 0),
    discount bigint NOT NULL CHECK (discount >= 0),
    total bigint NOT NULL CHECK (total >= 0),
    paid bigint NOT NULL DEFAULT 0 CHECK (paid >= 0),
    invoice_number bigint CONSTRAINT orders_invoice_number_key UNIQUE,
    created_by bigint REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    invoiced_at timestamptz,
    fulfilled_at timestamptz,
    cancelled_at timestamptz,
    CONSTRAINT orders_total CHECK (total = subtotal - discount),
    CONSTRAINT orders_invoiced CHECK (
        status NOT IN ('invoiced', 'fulfilled') OR invoice_number IS NOT NULL
    )
);
CREATE INDEX orders_vendor_idx ON orders (vendor_id, created_at DESC);

CREATE TABLE order_lines (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    position smallint NOT NULL,
    product_id bigint NOT NULL REFERENCES products (id),
    license_type text NOT NULL REFERENCES license_types (code),
    quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 100000),
    features text[] NOT NULL,
    unit_price bigint NOT NULL CHECK (unit_price >= 0),
    amount bigint NOT NULL CHECK (amount = unit_price * quantity),
    CONSTRAINT order_lines_position_key UNIQUE (order_id, position)
);

ALTER TABLE serials ADD CONSTRAINT serials_order_line_fk
    FOREIGN KEY (order_line_id) REFERENCES order_lines (id);

-- The history of every transition: who, when, from, to.
CREATE TABLE order_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id bigint NOT NULL REFERENCES orders (id),
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor text NOT NULL,
    user_id bigint REFERENCES users (id),
    from_status text,
    to_status text NOT NULL,
    note text
);
CREATE INDEX order_events_order_idx ON order_events (order_id, id);

CREATE TABLE payments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id bigint NOT NULL REFERENCES orders (id),
    -- The bank's or the operator's reference: recording it twice must change nothing.
    reference text NOT NULL CONSTRAINT payments_reference_key UNIQUE
        CHECK (length(reference) BETWEEN 1 AND 100),
    method text NOT NULL CHECK (method IN ('transfer', 'balance')),
    amount bigint NOT NULL CHECK (amount > 0),
    recorded_by bigint REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_order_idx ON payments (order_id);

-- The balance's history (the "advance history" of the cabinets): every change with its reason.
CREATE TABLE balance_ledger (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    vendor_id bigint NOT NULL REFERENCES vendors (id),
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    kind text NOT NULL CHECK (kind IN ('top_up', 'order_payment', 'overpayment', 'refund')),
    amount bigint NOT NULL CHECK (amount <> 0),
    balance_after bigint NOT NULL CHECK (balance_after >= 0),
    order_id bigint REFERENCES orders (id),
    reference text,
    user_id bigint REFERENCES users (id)
);
CREATE INDEX balance_ledger_vendor_idx ON balance_ledger (vendor_id, id DESC);
-- A top-up's reference is recorded once: a repeated request changes nothing.
CREATE UNIQUE INDEX balance_ledger_top_up_reference_key ON balance_ledger (reference)
    WHERE kind = 'top_up';
