"""The vocabulary every layer shares (tables, adapters, services, GraphQL): the stored enumerations."""
