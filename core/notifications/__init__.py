"""Who is told what, on which channel (DESIGN §3)."""
