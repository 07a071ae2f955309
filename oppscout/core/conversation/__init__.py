"""Conversations: understanding what people type or say, asking back, and confirming before spending."""
