"""``livecut probe``: what livecut sees in media files, or why it cannot use them."""

from __future__ import annotations

import argparse

from core.errors import LivecutError
from core.media.info import MediaInfo
from tui.cli.command import Command
from tui.cli.output import emit_json, say, warn


def _setup_probe(p: argparse.ArgumentParser) -> None:
    p.add_argument("media", nargs="+", help="media files to probe")
    p.add_argument("--json", action="store_true", help="print JSON")


def cmd_probe(args: argparse.Namespace) -> int:
    from core.media.damage import scan
    from core.media.info import probe

    results: list[dict[str, object]] = []
    failed = 0
    for item in args.media:
        try:
            info = probe(item)
        except LivecutError as exc:
            failed += 1
            results.append({"path": item, "error": str(exc)})
            if not args.json:
                warn(str(exc))
            continue
        damage = scan(info)
        summary = info.to_dict()
        summary["damage"] = [{"at_s": round(float(d.at), 4), "reason": d.reason} for d in damage]
        results.append(summary)
        if not args.json:
            say(_describe_media(info))
            for d in damage:
                warn(
                    f"warning: {info.path} is damaged: the frame at {float(d.at):.3f} s cannot be decoded ({d.reason})"
                )
    if args.json:
        emit_json(results if len(results) > 1 else results[0])
    return 1 if failed else 0


def _describe_media(info: object) -> str:

    assert isinstance(info, MediaInfo)
    parts = [f"{info.path}: {info.container}, {float(info.duration):.3f} s"]
    if info.video:
        v = info.video
        w, h = v.display_size
        rot = f", rotated {v.rotation}°" if v.rotation else ""
        about = "" if v.frame_count_exact else "about "
        shape = f"{w}x{h}" if (w, h) == (v.width, v.height) else f"{w}x{h} (coded {v.width}x{v.height}, SAR {v.sar})"
        field = f", interlaced ({v.field_order})" if v.interlaced else ""
        parts.append(
            f"video {v.codec} {shape} @ {float(v.fps):.3f} fps ({v.fps}), {about}{v.frame_count} frames, "
            f"{v.pix_fmt}{rot}{field}"
        )
    else:
        parts.append("no video")
    if info.audio:
        a = info.audio
        parts.append(f"audio {a.codec} {a.sample_rate} Hz {a.channels} ch")
    else:
        parts.append("no audio")
    return "; ".join(parts)


COMMAND = Command("probe", "show what livecut finds in media files", _setup_probe, cmd_probe)
