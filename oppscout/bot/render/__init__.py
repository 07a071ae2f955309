"""Rendering a platform-neutral summary as text, Block Kit or embeds."""
