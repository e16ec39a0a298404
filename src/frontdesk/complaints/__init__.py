"""Complaints: raised from a conversation, a low score or the API, owned, worked and resolved."""
