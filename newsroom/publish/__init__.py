"""Publish: the built site checked (verify), compressed (assets), sent to the servers (release), releases listed."""
