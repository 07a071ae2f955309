"""The Slack app: slash command, mentions, DMs, voice clips, buttons, threaded progress and App Home."""
