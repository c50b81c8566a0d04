"""A person's ways of logging in: password, TOTP, passkeys, recovery codes, and
getting back in when one is lost. The models are in teams/models.py."""
