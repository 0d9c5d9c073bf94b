-- Transfer budget: how many times a serial's machines may be freed (by the machine itself or by
-- the vendor) in any 365 days, per product; NULL is no limit. Staff grant a serial more.
ALTER TABLE products ADD COLUMN transfer_budget integer
    CONSTRAINT products_transfer_budget CHECK (transfer_budget IS NULL OR transfer_budget >= 0);
ALTER TABLE serials ADD COLUMN transfers_granted integer NOT NULL DEFAULT 0
    CONSTRAINT serials_transfers_granted CHECK (transfers_granted >= 0);
-- Who freed the machine: itself (a deactivation) or its vendor (a release).
ALTER TABLE activations ADD COLUMN released_by text
    CONSTRAINT activations_released_by CHECK (released_by IN ('machine', 'vendor'));
