"""The command line's arguments: light modules, so `--help` answers without Django."""
