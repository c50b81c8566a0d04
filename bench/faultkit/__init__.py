"""The parts of bench/faults.py: a throwaway PostgreSQL, secdesk's processes
run as subprocesses, a relay that misbehaves on purpose, senders that retry
as an MTA does, and one module per fault (`scenarios`)."""
