"""Chats, which reference their model by id, and agents, which offer a chosen set of models."""
