"""Email out: signed links, composing notices as MIME, and the mailers (SMTP, files)."""
