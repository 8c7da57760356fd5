"""livecut's terminal front end: the Textual editor and the ``livecut`` command line."""
