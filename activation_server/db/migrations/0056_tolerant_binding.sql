-- Tolerant machine binding: how many of a machine's hardware components may change before it
-- counts as a new machine (0: the combined fingerprint must match exactly, as before). At most
-- 2: a machine stays the same only while most of its components do, and five are named.
ALTER TABLE products ADD COLUMN binding_tolerance integer NOT NULL DEFAULT 0
    CONSTRAINT products_binding_tolerance CHECK (binding_tolerance BETWEEN 0 AND 2);

-- Each activation's component hashes ({"disk": "<hex>", ...}), kept only for products with a
-- tolerance, beside the activations so that the hot table's rows stay as narrow as before.
-- "changed" names the components that changed at the latest rebinding, "changed_at" its time.
CREATE TABLE activation_components (
    activation_id uuid PRIMARY KEY REFERENCES activations (id),
    components jsonb NOT NULL,
    changed text[] NOT NULL DEFAULT '{}',
    changed_at timestamptz
);
-- Finds the activations that share any one component hash with a machine: the candidates of a
-- tolerant match, few whatever the size of a trial pool.
CREATE INDEX activation_components_hashes
    ON activation_components USING gin (components jsonb_path_ops);
