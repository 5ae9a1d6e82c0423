"""Usage: one record per model call, priced when recorded, and reports aggregated in the database."""
