"""Redaction: personal data and secrets replaced by stable placeholders in everything evalkit writes or logs."""
