"""PynamoDB repository over the single table: one module per entity."""
