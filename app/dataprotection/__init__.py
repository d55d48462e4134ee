"""Data protection: contact export and erasure, retention, and the audit log page."""
