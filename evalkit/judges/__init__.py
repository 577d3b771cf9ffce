"""LLM judges: any Bot answers a judge prompt; its text is parsed against a schema, retried, or recorded as an error."""
