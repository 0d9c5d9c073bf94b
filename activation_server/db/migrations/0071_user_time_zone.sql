-- The time zone a user reads times in (an IANA name such as Europe/Moscow); NULL reads UTC.
ALTER TABLE users ADD COLUMN time_zone text
    CONSTRAINT users_time_zone CHECK (time_zone IS NULL OR length(time_zone) BETWEEN 1 AND 64);
