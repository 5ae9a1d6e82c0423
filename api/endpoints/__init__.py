"""Users' own model servers: their URL policy, health, discovery into private models, and sharing."""
