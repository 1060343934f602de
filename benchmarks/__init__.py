"""Performance benchmarks of the reporting cycle on PostgreSQL (`make bench`).

Run `python -m benchmarks` (sizes 500 and 50,000 schools) or
`python -m benchmarks --quick` (sizes 100 and 1,000). See README.md.
"""
