"""Slack surface: Block Kit rendering, the Slack chat gateway (DMs, presence) and the
bolt listeners that turn slash commands, buttons and modals into core requests."""
