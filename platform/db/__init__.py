"""The catalogue database: models, engine and migrations."""

MAX_INTEGER = 2**31 - 1  # the largest value of an INTEGER column (PostgreSQL's int4)
