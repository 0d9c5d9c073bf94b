-- The language a user reads the portal in, chosen on its pages; NULL follows the browser.
ALTER TABLE users ADD COLUMN language text
    CONSTRAINT users_language CHECK (language IS NULL OR language ~ '^[a-z]{2}$');
