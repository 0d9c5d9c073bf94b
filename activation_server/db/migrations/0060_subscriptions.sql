-- Term licenses, update subscriptions, their prices, partner tiers and renewal orders.

-- A serial's update subscription: the license runs forever, but only for versions released
-- before this moment. NULL: no subscription was ever bought (any version runs).
ALTER TABLE serials ADD COLUMN updates_until timestamptz;

-- What an order line asks for besides the serials: a term (the serials stop working that many
-- months after fulfilment) and an initial update subscription.
ALTER TABLE order_lines
    ADD COLUMN term_months integer CONSTRAINT order_lines_term_months CHECK (term_months BETWEEN 1 AND 120),
    ADD COLUMN updates_months integer
        CONSTRAINT order_lines_updates_months CHECK (updates_months BETWEEN 1 AND 120);

-- Partner status: staff assign a tier to a vendor; the tier's discount replaces the vendor's own.
CREATE TABLE partner_tiers (
    code text PRIMARY KEY CONSTRAINT partner_tiers_code CHECK (code ~ '^[a-z][a-z0-9_-]{0,31}$'),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    discount_percent integer NOT NULL
        CONSTRAINT partner_tiers_discount CHECK (discount_percent BETWEEN 0 AND 100)
);
INSERT INTO partner_tiers (code, name, discount_percent) VALUES
    ('registered', 'Registered partner', 10),
    ('silver', 'Silver partner', 20),
    ('gold', 'Gold partner', 30);
ALTER TABLE vendors ADD COLUMN partner_tier text REFERENCES partner_tiers (code);

-- Prices of subscriptions and terms per license type, or per product (which wins over its type).
-- A 1-year update subscription bought with new serials (first) and renewed (renewal); a term
-- license per month of term.
CREATE TABLE subscription_prices (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    license_type text NOT NULL REFERENCES license_types (code),
    product_id bigint REFERENCES products (id),
    update_first bigint NOT NULL CHECK (update_first >= 0),
    update_renewal bigint NOT NULL CHECK (update_renewal >= 0),
    term_month bigint NOT NULL CHECK (term_month >= 0)
);
CREATE UNIQUE INDEX subscription_prices_type_key ON subscription_prices (license_type)
    WHERE product_id IS NULL;
CREATE UNIQUE INDEX subscription_prices_product_key ON subscription_prices (license_type, product_id)
    WHERE product_id IS NOT NULL;
INSERT INTO subscription_prices (license_type, update_first, update_renewal, term_month) VALUES
    ('SP1', 4400, 4400, 2000),
    ('SP3', 11000, 11000, 5000),
    ('SP5', 16000, 16000, 7500);

ALTER TABLE orders ADD COLUMN kind text NOT NULL DEFAULT 'serials'
    CONSTRAINT orders_kind CHECK (kind IN ('serials', 'renewal'));

-- One line of a renewal order: one existing serial, its subscription extended on payment.
CREATE TABLE renewal_lines (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id bigint NOT NULL REFERENCES orders (id),
    position integer NOT NULL,
    serial text NOT NULL REFERENCES serials (serial),
    -- 'updates' extends updates_until, 'term' extends valid_until.
    kind text NOT NULL CONSTRAINT renewal_lines_kind CHECK (kind IN ('updates', 'term')),
    months integer NOT NULL CHECK (months BETWEEN 1 AND 120),
    previous_end timestamptz,
    list_price bigint NOT NULL CHECK (list_price >= 0),
    discount_percent integer NOT NULL CHECK (discount_percent BETWEEN 0 AND 100),
    amount bigint NOT NULL CHECK (amount >= 0 AND amount <= list_price),
    -- Set when the order is fulfilled: the end the serial got.
    new_end timestamptz,
    -- True while the order is neither paid nor cancelled: the serial is locked for other orders.
    open boolean NOT NULL DEFAULT true,
    CONSTRAINT renewal_lines_position_key UNIQUE (order_id, position)
);
CREATE INDEX renewal_lines_order_idx ON renewal_lines (order_id, position);
-- The lock: one open renewal per serial, whichever of two concurrent orders commits first.
CREATE UNIQUE INDEX renewal_lines_open_serial_key ON renewal_lines (serial) WHERE open;
