-- The end (of a term or an update subscription) a serial's vendor was last reminded of, so that
-- the 30-day reminder goes out once per end, whichever worker finds it first.
ALTER TABLE serials ADD COLUMN reminded_end timestamptz;
-- The reminder's look-up of ends in the coming days; only serials with an end are in it, so the
-- hot path's count updates of perpetual serials never touch it.
CREATE INDEX serials_ends_idx ON serials ((coalesce(valid_until, updates_until)))
    WHERE coalesce(valid_until, updates_until) IS NOT NULL;
