"""The user's settings as plain values: the ``config`` file, the ``keys`` table, colour ``themes``.

No Textual here: headless commands read the config too. The app turns these values into
Textual bindings (``tui.bindings``) and themes (``tui.theming``).
"""
