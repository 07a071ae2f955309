"""The analysis engine: signals → themes → scores → opportunities with verbatim evidence."""
