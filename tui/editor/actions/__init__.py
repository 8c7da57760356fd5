"""The editor's actions: what each key does, as plain code over the document and an ``EditorState``.

Why a package of functions: an action takes a ``Context`` (the ``Document``, the ``EditorState``,
the view's width) and returns a ``Step`` (the new state and the effects the screen applies, in
order: seek, play, redraw, prompt, toast...), so every key can be read in one place and tested
without Textual. ``table.ACTIONS`` maps each editor key id of ``tui.settings.keys.KEYS`` to its
action; one module per area: ``playback`` (J/K/L), ``navigate`` (moves, selection), ``marks``
(markers, go to), ``edit`` (edits at the playhead, undo / redo, settings), ``trim_modes``,
``clipboard`` (multi-selection, copy / cut / paste), ``source`` (source view, three-point edits),
``loop``, ``view`` (zooms, snapping) and ``sound`` (gain, mute, waveforms). The rules themselves
(which clip, where the playhead lands) are ``tui.editor.editing``.
"""
