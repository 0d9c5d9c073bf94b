-- Prepayment invoices for balance top-ups, the buyer's requisites on documents, act numbers.

-- A vendor asks for an invoice to top its balance up; staff record the bank's payment against
-- its number, and the balance is credited through the ledger (a top-up with that reference).
CREATE TABLE prepayment_invoices (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Numbered with the orders' invoices: one sequence of invoice numbers for the accountant.
    number bigint NOT NULL CONSTRAINT prepayment_invoices_number_key UNIQUE,
    vendor_id bigint NOT NULL REFERENCES vendors (id),
    amount bigint NOT NULL CHECK (amount > 0),
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    created_by bigint REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    paid_at timestamptz,
    reference text
);
CREATE INDEX prepayment_invoices_vendor_idx ON prepayment_invoices (vendor_id, created_at DESC);

-- The company's details as its accountant needs them on invoices and acts (editable by the
-- vendor in its profile); empty until filled in.
ALTER TABLE vendors
    ADD COLUMN legal_name text CHECK (length(legal_name) <= 300),
    ADD COLUMN address text CHECK (length(address) <= 500),
    ADD COLUMN tax_id text CHECK (length(tax_id) <= 32),
    ADD COLUMN tax_reason_code text CHECK (length(tax_reason_code) <= 32),
    ADD COLUMN bank_name text CHECK (length(bank_name) <= 300),
    ADD COLUMN bank_code text CHECK (length(bank_code) <= 32),
    ADD COLUMN bank_account text CHECK (length(bank_account) <= 64),
    ADD COLUMN correspondent_account text CHECK (length(correspondent_account) <= 64),
    ADD COLUMN billing_email text CHECK (length(billing_email) <= 254);

-- Delivery acts are numbered apart from invoices; the number is taken when the act is made.
INSERT INTO counters (name, value) VALUES ('act', 0);
ALTER TABLE orders ADD COLUMN act_number bigint CONSTRAINT orders_act_number_key UNIQUE;
-- Orders fulfilled before acts were numbered get theirs now, in the order they were fulfilled.
WITH numbered AS (
    SELECT id, row_number() OVER (ORDER BY fulfilled_at, id) AS n
    FROM orders WHERE status = 'fulfilled'
)
UPDATE orders o SET act_number = numbered.n FROM numbered WHERE o.id = numbered.id;
UPDATE counters SET value = (SELECT coalesce(max(act_number), 0) FROM orders) WHERE name = 'act';
