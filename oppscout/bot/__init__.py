"""Interfaces: one package per platform; each acknowledges fast, translates, and calls the core."""
