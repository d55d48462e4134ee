"""Email: building survey messages (HTML + text, headers) and delivering them (SMTP or the local outbox)."""
