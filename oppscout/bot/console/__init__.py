"""The console chat: a REPL that behaves like a chat thread."""
