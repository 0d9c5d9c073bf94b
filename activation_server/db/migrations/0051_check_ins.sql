-- Check-ins and signed leases: a product's check-in policy and each machine's last check-in.

-- check_in_days = 0 is offline forever (a license alone runs the application). Otherwise the
-- application needs a lease, signed at each check-in and good for check_in_days + grace_days.
ALTER TABLE products
    ADD COLUMN check_in_days integer NOT NULL DEFAULT 0
        CONSTRAINT products_check_in_days CHECK (check_in_days BETWEEN 0 AND 3650),
    ADD COLUMN grace_days integer NOT NULL DEFAULT 0
        CONSTRAINT products_grace_days CHECK (grace_days BETWEEN 0 AND 3650);

-- Beside the activations rather than in them: the hot table's rows stay as narrow as the
-- activation statements' plans were made for.
CREATE TABLE check_ins (
    activation_id uuid PRIMARY KEY REFERENCES activations (id),
    last_at timestamptz NOT NULL
);
