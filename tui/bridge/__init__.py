"""The editor's side of the seam: ``Bridge`` owns the engine and player (through a
``core.preview.seam.Backend``), turns their thread callbacks into Textual ``messages``, runs
stream restarts on its own ``control`` thread, and falls back to a stand-in ``clock``."""
