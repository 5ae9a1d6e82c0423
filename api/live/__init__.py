"""Live reads: the catalog revision, the exact response cache, the subscription and /v1/models."""
