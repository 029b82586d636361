"""Storage: every SQL statement, the schema, migrations, the unit of work."""
