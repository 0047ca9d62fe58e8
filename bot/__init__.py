"""The inbound side of trypost-bot: the command grammar, the chat surfaces and the process."""
