"""Storage: the schema as numbered SQL migrations, the async psycopg 3 pool, the embedded PostgreSQL
default, repositories that speak rows and JSON-ready dicts, and the hybrid retrieval SQL.
The only package that sees psycopg; it imports nothing else of ours."""
