"""`python -m modelcatalog`: the same command as `modelcatalog`."""
