"""Drawing frames into a terminal: ``scale`` (pure numpy), ``ansi`` (plain escape sequences for
``livecut play``), ``halfblock`` (Textual strips for the editor's preview pane)."""
