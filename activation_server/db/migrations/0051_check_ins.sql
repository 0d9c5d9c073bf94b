-- Check-ins and signed leases: a product's check-in policy and each machine's last check-in.

-- check_in_days = 0 is offline forever (a license alone runs the application). Otherwise the
-- application needs a lease, signed at each check-in and good for check_in_days + grace_days.
ALTER TABLE products
    ADD COLUMN check_in_days integer NOT NULL DEFAULT 0
        CONSTRAINT products_check_in_days CHECK (check_in_days BETWEEN 0 AND 3650),
    ADD COLUMN grace_days integer NOT NULL DEFAULT 0
        CONSTRAINT products_grace_days CHECK (grace_days BETWEEN 0 AND 3650);

ALTER TABLE activations ADD COLUMN last_check_in_at timestamptz;
