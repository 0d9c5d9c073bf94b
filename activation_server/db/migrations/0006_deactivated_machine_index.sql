-- A validation by serial and fingerprint of a machine whose activation was deactivated found it
-- by walking every activation of the serial: tens of thousands for a trial pool. Only
-- deactivated activations are in this index, so new activations never touch it; a deactivation
-- (already an update of an indexed column) adds one entry.
CREATE INDEX activations_deactivated_machine_idx ON activations (serial, fingerprint, created_at)
    WHERE deactivated_at IS NOT NULL;
