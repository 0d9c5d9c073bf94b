-- A machine's activations are found by its fingerprint first.
--
-- The hot path looks a machine up by (serial, fingerprint). With both indexes led by the serial,
-- the (serial, created_at) index could answer that look-up too, by walking every activation of
-- the serial and filtering on the fingerprint; on a small table the planner prices both paths
-- alike, and a prepared statement keeps the plan it made then. A trial pool filled from a fresh
-- database did exactly that: every new machine walked all the machines before it, and the rate
-- fell eightfold over 20 000 activations, until autovacuum's first visit made the statements
-- plan again. Led by the fingerprint, the machine indexes are the only ones a look-up by
-- fingerprint can use (the statements test the serial as a filter), whatever the planner
-- believes about the table's size; a fingerprint has a handful of activations at most.
CREATE UNIQUE INDEX activations_live_machine_key ON activations (fingerprint, serial)
    WHERE deactivated_at IS NULL;
DROP INDEX activations_live_key;
ALTER INDEX activations_live_machine_key RENAME TO activations_live_key;

CREATE INDEX activations_deactivated_by_machine_idx
    ON activations (fingerprint, serial, created_at)
    WHERE deactivated_at IS NOT NULL;
DROP INDEX activations_deactivated_machine_idx;
ALTER INDEX activations_deactivated_by_machine_idx RENAME TO activations_deactivated_machine_idx;

-- A supplement, not the fix: no first ANALYZE of a nearly empty activations table. Statistics
-- that say "one page" make a sequential scan the cheapest plan of every look-up, and a statement
-- prepared then keeps it until the next ANALYZE. Autovacuum's first visit now waits for 1 000
-- changes (its insert-driven VACUUM, which also sets the table's size, waits as long), so the
-- first statistics describe a table of at least 1 000 rows, on which every look-up above keeps
-- to its index (docs/performance.md).
ALTER TABLE activations SET (autovacuum_analyze_threshold = 1000);
