"""The audit log of providers and local endpoints: one writer, and the reads behind their `history`."""
