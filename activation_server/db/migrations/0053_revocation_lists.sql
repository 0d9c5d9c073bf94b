-- Signed revocation lists: each export of a vendor's list takes the next number, so that a
-- machine can tell a newer list from an older one and keep the newest. The lists themselves are
-- not kept: each is signed afresh from the serials and activations as they are at export.
CREATE TABLE revocation_lists (
    vendor_id bigint NOT NULL REFERENCES vendors (id),
    sequence bigint NOT NULL CONSTRAINT revocation_lists_sequence CHECK (sequence > 0),
    issued_at timestamptz NOT NULL DEFAULT now(),
    serials integer NOT NULL,
    activations integer NOT NULL,
    PRIMARY KEY (vendor_id, sequence)
);
