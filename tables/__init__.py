"""The database tables of the model catalog (a piccolo app)."""
