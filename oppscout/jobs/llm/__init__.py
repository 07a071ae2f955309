"""LLM adapters on the openai client: chat completions for synthesis, embeddings when configured."""
