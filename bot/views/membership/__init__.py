"""Membership in words, one module per concern, named as in ``bot.services.membership`` and
``handlers.membership``: ``joining``, ``directory``, ``roster``, ``roles``; ``fields`` holds what
they share (field labels, "Label: value" lines, buttons, the words for refused answers).

Each module has its own ``error_messages()`` for the DomainError codes of its concern, named in
``bot.views.errors``. Nothing is re-exported here: import the module that holds the name.
"""
