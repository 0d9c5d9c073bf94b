-- The license last issued for an activation, kept so that the machine's next start gets it back
-- without a new signature (Ed25519 signing is the largest part of a re-activation's CPU). It is
-- written once, by the statement of a later activation batch, the first time the activation's
-- license is issued again; NULL until then. A license is reused only while its header and claims
-- are exactly what the server would sign now (after a key rotation it is signed and kept anew).
ALTER TABLE activations ADD COLUMN license text;

-- Room on each page for the rewritten row, so that these updates and the hourly last-seen ones
-- stay heap-only (no index entries): new pages keep 10 % free.
ALTER TABLE activations SET (fillfactor = 90);
