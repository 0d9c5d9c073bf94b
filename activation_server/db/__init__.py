"""The database: embedded PostgreSQL or an external server, the pool and the migrations."""
