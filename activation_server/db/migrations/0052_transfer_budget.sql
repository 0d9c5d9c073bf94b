-- Transfer budget: how many times a serial's machines may be freed (by the machine itself or by
-- the vendor) in any 365 days, per product; NULL is no limit. Staff grant a serial more.
ALTER TABLE products ADD COLUMN transfer_budget integer
    CONSTRAINT products_transfer_budget CHECK (transfer_budget IS NULL OR transfer_budget >= 0);
ALTER TABLE serials ADD COLUMN transfers_granted integer NOT NULL DEFAULT 0
    CONSTRAINT serials_transfers_granted CHECK (transfers_granted >= 0);

-- Every machine freed from now on: by itself (a deactivation) or by its vendor (a release). The
-- budget counts a serial's rows of the last 365 days.
CREATE TABLE transfers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    serial text NOT NULL REFERENCES serials (serial),
    activation_id uuid NOT NULL REFERENCES activations (id),
    by text NOT NULL CONSTRAINT transfers_by CHECK (by IN ('machine', 'vendor')),
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX transfers_serial_idx ON transfers (serial, at);
CREATE INDEX transfers_activation_idx ON transfers (activation_id);
