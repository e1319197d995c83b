"""Intake: articles arriving (the checker and its git hook, the shared folder, Word files, the editors' queue)."""
