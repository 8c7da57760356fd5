// livecut's browser preview: the engine's fragmented MP4 through Media Source Extensions.
// Plain script, no build step, nothing fetched from outside the machine. See core/web/client.py
// for the wire format (JSON text frames; binary frames prefixed with a 4-byte session id).
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const video = $("video");
  const note = $("message");
  const MS = window.ManagedMediaSource || window.MediaSource;
  const KEEP_BEHIND = 10; // seconds kept behind the playhead once the buffer is trimmed
  const TRIM_AFTER = 30; // trim once this many seconds are buffered behind the playhead
  const COLORS = {
    pending: "--seg-pending", queued: "--seg-queued", encoding: "--seg-encoding",
    ready: "--seg-ready", failed: "--seg-failed", offline: "--seg-offline",
  };
  const s = {
    fps: 30, nominal: 30, duration: 0, following: false, sid: 0, speed: 0,
    ms: null, sb: null, queue: [], codecs: "", pendingSeek: null, resetParser: false,
    clearAll: false, endPending: false, segs: [], segDuration: 0, ws: null, lastPos: -1,
    reverse: null, connected: false, refused: false, own: false,
  };
  const stats = { loadAt: performance.now(), firstFrameAt: null, painted: 0, bytes: 0, sessions: 0 };

  function show(text) { note.textContent = text; note.hidden = !text; }
  function frameTime(f) { return (f + 0.5) / s.fps; }
  function timeFrame(t) { return Math.max(0, Math.floor(t * s.fps + 1e-6)); }
  function currentFrame() { return s.pendingSeek !== null ? s.pendingSeek : timeFrame(video.currentTime); }
  function timecode(frame) {
    const n = s.nominal, ff = frame % n, total = Math.floor(frame / n);
    const p = (x) => String(x).padStart(2, "0");
    return `${p(Math.floor(total / 3600))}:${p(Math.floor(total / 60) % 60)}:${p(total % 60)}:${p(ff)}`;
  }
  function inBuffer(t) {
    const b = video.buffered;
    for (let i = 0; i < b.length; i++) if (b.start(i) <= t && t < b.end(i)) return true;
    return false;
  }
  function send(message) {
    if (s.ws && s.ws.readyState === WebSocket.OPEN) s.ws.send(JSON.stringify(message));
  }

  // -- Media Source ---------------------------------------------------------------------------
  function codecsOf(bytes) {
    const find = (a, b, c, d) => {
      for (let i = 0; i + 3 < bytes.length && i < 4096; i++)
        if (bytes[i] === a && bytes[i + 1] === b && bytes[i + 2] === c && bytes[i + 3] === d) return i;
      return -1;
    };
    const avcc = find(0x61, 0x76, 0x63, 0x43); // "avcC": version, profile, compatibility, level
    if (avcc < 0) return "";
    const hex = (x) => x.toString(16).padStart(2, "0");
    let codecs = "avc1." + hex(bytes[avcc + 5]) + hex(bytes[avcc + 6]) + hex(bytes[avcc + 7]);
    if (find(0x6d, 0x70, 0x34, 0x61) >= 0) codecs += ",mp4a.40.2"; // "mp4a"
    return codecs;
  }
  function createBuffer(first) {
    const codecs = codecsOf(first);
    const type = `video/mp4; codecs="${codecs}"`;
    if (!codecs || !MS.isTypeSupported(type)) {
      show("This browser cannot play H.264 video through Media Source Extensions (" + type + ").");
      return false;
    }
    s.codecs = codecs;
    s.sb = s.ms.addSourceBuffer(type);
    s.sb.addEventListener("updateend", () => { applySeek(); pump(); });
    s.sb.addEventListener("error", () => console.warn("livecut: source buffer error"));
    return true;
  }
  function pump() {
    if (!s.ms || s.ms.readyState === "closed") return;
    if (!s.sb) {
      if (!s.queue.length || s.ms.readyState !== "open") return;
      if (!createBuffer(s.queue[0])) { s.queue = []; return; }
    }
    const sb = s.sb;
    if (sb.updating) return;
    if (s.resetParser) {
      s.resetParser = false;
      try { if (s.ms.readyState === "open") sb.abort(); } catch (e) { console.warn("livecut: abort", e); }
    }
    if (s.clearAll) {
      s.clearAll = false;
      if (video.buffered.length) { sb.remove(0, Infinity); return; }
    }
    if (s.queue.length) {
      const chunk = s.queue.shift();
      try {
        sb.appendBuffer(chunk);
        stats.bytes += chunk.byteLength;
      } catch (e) {
        if (e.name === "QuotaExceededError") { s.queue.unshift(chunk); trimBehind(1); } else console.warn("livecut: append", e);
      }
      return;
    }
    if (trimBehind(TRIM_AFTER)) return;
    if (s.endPending && s.ms.readyState === "open") {
      s.endPending = false;
      try { s.ms.endOfStream(); } catch (e) { console.warn("livecut: end", e); }
    }
  }
  function trimBehind(after) {
    const b = video.buffered, t = video.currentTime;
    if (!b.length || s.sb.updating) return false;
    const cut = t - Math.min(after, KEEP_BEHIND);
    if (b.start(0) < t - after && cut > b.start(0)) { s.sb.remove(0, cut); return true; }
    return false;
  }
  function applySeek() {
    if (s.pendingSeek === null) return;
    const t = frameTime(s.pendingSeek);
    if (!inBuffer(t)) return;
    s.pendingSeek = null;
    video.currentTime = t;
    if (s.speed > 0) play();
    reportPos(true);
  }

  // -- transport ------------------------------------------------------------------------------
  function play() {
    const p = video.play();
    if (p) p.catch((e) => {
      if (e.name === "NotAllowedError" && !video.muted) { // autoplay with sound needs a click
        video.muted = true;
        $("sound").textContent = "muted: click the page for sound";
        video.play().catch(() => {});
      }
    });
  }
  function seekTo(frame) {
    const last = Math.max(0, s.duration - 1);
    frame = Math.max(0, Math.min(Math.round(frame), last));
    const t = frameTime(frame);
    if (inBuffer(t)) {
      s.pendingSeek = null;
      video.currentTime = t;
    } else {
      s.pendingSeek = frame;
      send({ type: "seek", frame });
    }
    reportPos(true);
  }
  function setSpeed(x) {
    s.speed = x;
    if (s.reverse !== null) { clearInterval(s.reverse); s.reverse = null; }
    if (x > 0) {
      video.playbackRate = x;
      if (s.pendingSeek === null) play();
    } else {
      video.pause();
      if (x < 0) {
        const step = 0.08;
        s.reverse = setInterval(() => {
          const f = currentFrame() + x * s.fps * step;
          if (f <= 0) { seekTo(0); setSpeed(0); } else seekTo(f);
        }, step * 1000);
      }
    }
    $("speed").textContent = x === 0 ? "paused" : (x > 0 ? "▶ " : "◀ ") + Math.abs(x) + "×";
  }
  function reportPos(force) {
    const f = currentFrame();
    if (force || f !== s.lastPos) { s.lastPos = f; send({ type: "pos", frame: f }); }
  }

  // -- messages -------------------------------------------------------------------------------
  function onMessage(m) {
    switch (m.type) {
      case "hello":
        s.fps = m.fps[0] / m.fps[1];
        s.nominal = m.nominal;
        s.duration = m.duration;
        s.following = m.following;
        showMode();
        show(m.engine ? "" : "livecut has no engine running for this page.");
        break;
      case "session":
        s.sid = m.id;
        s.queue = [];
        s.duration = m.duration;
        s.resetParser = true;
        s.endPending = false;
        stats.sessions += 1;
        if (m.edit) s.clearAll = true;
        s.pendingSeek = m.frame;
        pump();
        break;
      case "end":
        if (m.id === s.sid) { s.endPending = true; pump(); }
        break;
      case "transport":
        if (s.following && s.own) break; // in its own mode the page does not follow
        if (m.seek) seekTo(m.frame);
        if (m.speed !== s.speed) setSpeed(m.speed);
        break;
      case "segments":
        s.segs = m.segs;
        s.segDuration = m.duration;
        drawSegments();
        break;
      case "status":
        show(m.text);
        break;
      case "refused": // the server serves as many pages as it allows: say why, and do not retry
        s.refused = true;
        show(m.reason);
        break;
    }
  }
  function onBinary(buffer) {
    const id = new DataView(buffer).getUint32(0);
    if (id !== s.sid) return; // the tail of a session this page has left
    s.queue.push(new Uint8Array(buffer, 4));
    pump();
  }
  function connect() {
    const token = new URLSearchParams(location.search).get("token") || "";
    const url = new URL("ws", location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    url.search = "?token=" + encodeURIComponent(token);
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    ws.onopen = () => { s.connected = true; show(""); };
    ws.onmessage = (e) => {
      if (typeof e.data === "string") {
        try { onMessage(JSON.parse(e.data)); } catch (err) { console.warn("livecut: message", err); }
      } else onBinary(e.data);
    };
    ws.onclose = () => {
      s.connected = false;
      if (s.ws === ws && !s.refused) { show("Disconnected from livecut; retrying…"); setTimeout(connect, 2000); }
    };
    s.ws = ws;
  }

  // -- drawing --------------------------------------------------------------------------------
  function drawSegments() {
    const canvas = $("segments");
    const w = Math.max(1, Math.round(canvas.clientWidth * (window.devicePixelRatio || 1)));
    if (canvas.width !== w) canvas.width = w;
    const ctx = canvas.getContext("2d");
    const css = getComputedStyle(document.documentElement);
    ctx.fillStyle = css.getPropertyValue("--bg");
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    const total = Math.max(1, s.segDuration);
    for (const [at, length, state] of s.segs) {
      ctx.fillStyle = css.getPropertyValue(COLORS[state] || "--seg-pending");
      const x0 = Math.floor((at / total) * w), x1 = Math.ceil(((at + length) / total) * w);
      ctx.fillRect(x0, 0, Math.max(1, x1 - x0 - 1), canvas.height);
    }
  }
  function tick() {
    const f = currentFrame();
    $("timecode").textContent = timecode(f);
    const bar = $("bar");
    $("playhead").style.left = (Math.min(1, f / Math.max(1, s.duration)) * bar.clientWidth) + "px";
    requestAnimationFrame(tick);
  }
  function countFrames() {
    stats.painted += 1;
    if (stats.firstFrameAt === null) stats.firstFrameAt = performance.now();
    video.requestVideoFrameCallback(countFrames);
  }

  // -- input ----------------------------------------------------------------------------------
  function unmute() {
    if (video.muted) { video.muted = false; $("sound").textContent = ""; }
  }
  function showMode() {
    $("mode").textContent = !s.following ? "standalone"
      : s.own ? "not following: press F to follow" : "following the editor";
  }
  function setOwn(own) { // a following page's own mode: its keys move the page only
    if (own === s.own) return;
    s.own = own;
    showMode();
    if (!own) send({ type: "follow" }); // answered with the editor's transport
  }
  // While it follows, the page's transport keys are the editor's (by its key ids): the editor
  // acts as if they were pressed there, and the page follows what it does.
  function editorKey(key, shift) {
    if (key === " ") return "play_pause";
    if (key === "l") return "shuttle_forward";
    if (key === "j") return "shuttle_back";
    if (key === "k") return "stop";
    if (key === "ArrowRight") return shift ? "second_forward" : "frame_forward";
    if (key === "ArrowLeft") return shift ? "second_back" : "frame_back";
    if (key === "Home") return "go_start";
    if (key === "End") return "go_end";
    return null;
  }
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const f = currentFrame();
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    if (s.following && key === "f") { setOwn(!s.own); e.preventDefault(); return; }
    const id = editorKey(key, e.shiftKey);
    if (s.following && !s.own && id !== null) { send({ type: "key", key: id }); e.preventDefault(); unmute(); return; }
    let handled = true;
    if (key === " ") setSpeed(s.speed === 0 ? 1 : 0);
    else if (key === "l") setSpeed(s.speed <= 0 ? 1 : Math.min(s.speed * 2, 8));
    else if (key === "j") setSpeed(s.speed >= 0 ? -1 : Math.max(s.speed * 2, -8));
    else if (key === "k") setSpeed(0);
    else if (key === "ArrowRight") { setSpeed(0); seekTo(f + (e.shiftKey ? s.nominal : 1)); }
    else if (key === "ArrowLeft") { setSpeed(0); seekTo(f - (e.shiftKey ? s.nominal : 1)); }
    else if (key === "Home") { setSpeed(0); seekTo(0); }
    else if (key === "End") { setSpeed(0); seekTo(s.duration - 1); }
    else handled = false;
    if (handled) { e.preventDefault(); unmute(); }
  });
  $("bar").addEventListener("click", (e) => {
    if (s.following) setOwn(true); // a click on the bar takes the page its own way
    const rect = $("bar").getBoundingClientRect();
    seekTo(((e.clientX - rect.left) / Math.max(1, rect.width)) * s.duration);
    unmute();
  });
  $("stage").addEventListener("click", unmute);
  video.addEventListener("ended", () => setSpeed(0));
  window.addEventListener("resize", drawSegments);

  // -- start ----------------------------------------------------------------------------------
  window.livecut = {
    state: s, stats, seek: seekTo, setSpeed, frame: currentFrame, setOwn,
    grab() { // the frame on screen, read back as RGBA (tests read the code band from it)
      const c = document.createElement("canvas");
      c.width = video.videoWidth; c.height = video.videoHeight;
      if (!c.width || !c.height) return null;
      const ctx = c.getContext("2d", { willReadFrequently: true });
      ctx.drawImage(video, 0, 0);
      const data = ctx.getImageData(0, 0, c.width, c.height).data;
      let bin = "";
      for (let i = 0; i < data.length; i += 0x8000) bin += String.fromCharCode.apply(null, data.subarray(i, i + 0x8000));
      return { width: c.width, height: c.height, rgba: btoa(bin) };
    },
  };
  if (!MS) {
    show("This browser has no Media Source Extensions, so it cannot play livecut's preview. Try a current Chrome, Firefox or Safari.");
    return;
  }
  s.ms = new MS();
  video.disableRemotePlayback = true; // ManagedMediaSource (Safari) needs it without an AirPlay source
  video.src = URL.createObjectURL(s.ms);
  s.ms.addEventListener("sourceopen", () => pump());
  if ("requestVideoFrameCallback" in video) video.requestVideoFrameCallback(countFrames);
  setInterval(() => reportPos(false), 250);
  requestAnimationFrame(tick);
  connect();
})();
