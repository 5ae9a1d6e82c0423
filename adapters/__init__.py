"""Provider adapters: one module per provider kind, turning HTTP answers into NormalizedModels."""
