"""Voice notes: size and duration limits, decoding through PyAV, and transcription with faster-whisper."""
