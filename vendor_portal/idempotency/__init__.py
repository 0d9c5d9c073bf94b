"""Submissions that take effect once: the vendor API's ``Idempotency-Key`` and the portal's
one-time form nonces share one store and one rule (:mod:`.service`)."""
