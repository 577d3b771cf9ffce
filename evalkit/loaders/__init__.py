"""Where transcripts come from: one module per source format, shared file reading and error translation."""
