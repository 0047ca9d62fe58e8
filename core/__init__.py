"""The domain of trypost-bot: entities, state machines, rules, use cases and ports.

Nothing here imports a chat SDK, SQLAlchemy or an HTTP library: adapters depend on the
core, never the other way round.
"""
