"""Closing the loop: follow-up rules, follow-ups with SLAs in business days, escalation, replies, metrics."""
