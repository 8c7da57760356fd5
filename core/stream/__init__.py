"""The preview stream: cells remuxed into one appendable fragmented MP4 with continuous audio.

``assembler`` builds fragments (no codec work for video), ``fmp4`` patches box fields,
``bytestream`` is the growing buffer a player reads while it is still being written, and
``window`` sizes it (the preview's memory window, for the libmpv and the browser preview alike).
"""

from __future__ import annotations

from core.stream.assembler import Assembler, StreamSession
from core.stream.bytestream import GrowingStream, StreamReader

__all__ = ["Assembler", "GrowingStream", "StreamReader", "StreamSession"]
