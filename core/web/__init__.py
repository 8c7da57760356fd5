"""The browser preview: the engine's appendable fragmented MP4 played by the user's own browser.

Why: over SSH the terminal preview is slow, heavy on the connection and silent. The stream the
assembler already makes (``core.stream``) is a valid Media Source Extensions stream, so a small
local web server can hand it to the browser at the other end of an SSH tunnel, with sound.

* ``core.web.server``: the aiohttp application (token check, the page's own assets, the
  WebSocket) and ``WebServer``, which runs it on its own thread and event loop;
* ``core.web.hub``: what every open page shares (the engine being served, the transport an
  editor drives, the segment states) and ``core.web.client``: one page's stream sessions;
* ``core.web.security``: the random token and the loopback check;
* ``core.web.static``: the page (plain HTML, CSS and JavaScript, no build step, nothing fetched
  from outside the machine).

No Textual here: ``livecut serve`` runs it headless and the editor drives it through the bridge.
"""
