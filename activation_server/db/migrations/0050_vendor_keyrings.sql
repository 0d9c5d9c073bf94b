-- Per-vendor signing keys and per-vendor product codes.

-- The handle of a vendor in public addresses (its JWKS): not its row number, which would tell
-- anybody how many vendors there are.
ALTER TABLE vendors ADD COLUMN public_id uuid NOT NULL DEFAULT gen_random_uuid()
    CONSTRAINT vendors_public_id_key UNIQUE;

-- A key belongs to one vendor and goes through next -> current -> retired: a next key is
-- published (so applications can pin it) but does not sign; promoting it makes it the one
-- current key and retires the previous one, which stays published for the licenses it signed.
-- Keys of the time when one key signed for every vendor keep vendor_id NULL and stay published
-- by GET /v1/keys as retired keys.
ALTER TABLE signing_keys
    ADD COLUMN vendor_id bigint REFERENCES vendors (id),
    ADD COLUMN state text NOT NULL DEFAULT 'current'
        CONSTRAINT signing_keys_state CHECK (state IN ('next', 'current', 'retired')),
    ADD COLUMN promoted_at timestamptz;
UPDATE signing_keys SET state = 'retired', retired_at = coalesce(retired_at, now());
ALTER TABLE signing_keys ADD CONSTRAINT signing_keys_vendor_owned
    CHECK (vendor_id IS NOT NULL OR state = 'retired');
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (vendor_id) WHERE state = 'current';
CREATE UNIQUE INDEX signing_keys_one_next ON signing_keys (vendor_id) WHERE state = 'next';

-- A license's audience is the product code of the vendor whose key signed it, so codes need only
-- be unique within a vendor.
ALTER TABLE products DROP CONSTRAINT products_code_key;
ALTER TABLE products ADD CONSTRAINT products_vendor_code_key UNIQUE (vendor_id, code);
