"""The web process: the REST API, Socket.IO progress, health and the Slack events endpoint."""
