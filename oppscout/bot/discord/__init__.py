"""The Discord bot: slash commands, threads, voice messages, DMs, and REST-only delivery for workers."""
