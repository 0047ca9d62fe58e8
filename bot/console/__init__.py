"""The terminal surface: the whole bot with no tokens, on the one command grammar."""
