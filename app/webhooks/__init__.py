"""Standard Webhooks: signed events from a database outbox, retried on a schedule, SSRF-safe."""
