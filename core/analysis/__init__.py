"""Analysis of a timeline's media that proposes edits: where it is silent, where the scene changes.

``silence`` measures loudness (RMS per 10 ms window) and ``scenes`` the picture change between
consecutive frames (PySceneDetect's content score); ``cache`` keeps both per media *content*, like
the waveforms (``core.media.waveform``), so a second run on the same footage decodes nothing. Each
module has a source half (one file, no timeline: what is cached) and a timeline half (the cached
figures read through the clips, at their gain and mute, into timeline frames). What to do with the
ranges found is the model's: ``core.model.cuts`` turns them into one new ``Timeline``.

Why the figures, not the ranges, are cached: the thresholds are the user's to change, and a new
threshold must not cost a decode. Everything here is Textual-free and cancellable (a
``threading.Event`` checked between decoded blocks, raising ``core.errors.Cancelled``).
"""
