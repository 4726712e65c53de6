"""RFC 6381 codec strings (``avc1.PPCCLL``, ``mp4a.40.2``) measured from encoded files: the
H.264 profile_idc, constraint flags and level_idc come from the stream's sequence parameter
set, found in an MP4's avcC record or in an MPEG-TS stream's Annex B NAL units."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["avc1_from_bytes", "h264_codec", "rfc6381_codecs"]

#: NAL unit type of a sequence parameter set (ITU-T H.264, table 7-1).
_SPS = 7
#: How many packets to read for an SPS when the stream carries none out of band.
_MAX_PACKETS = 64


def avc1_from_bytes(data: bytes) -> str | None:
    """``avc1.PPCCLL`` from an avcC record (configurationVersion 1, then profile, constraint
    flags and level) or from the first SPS in Annex B bytes (start code, NAL header with type
    7, then profile_idc, the constraint_set flags byte, level_idc); None if neither is there."""
    if len(data) >= 4 and data[0] == 1:
        return "avc1." + data[1:4].hex().upper()
    pos = 0
    while (pos := data.find(b"\x00\x00\x01", pos)) >= 0 and pos + 7 <= len(data):
        header = data[pos + 3]
        if header & 0x1F == _SPS and not header & 0x80:
            return "avc1." + data[pos + 4:pos + 7].hex().upper()
        pos += 3
    return None


def h264_codec(container: Any, stream: Any) -> str | None:
    """The avc1 string of an H.264 stream of an open PyAV container: from its extradata,
    else from the first SPS among its first packets."""
    found = avc1_from_bytes(bytes(stream.codec_context.extradata or b""))
    if found:
        return found
    for n, packet in enumerate(container.demux(stream)):
        found = avc1_from_bytes(bytes(packet))
        if found or n >= _MAX_PACKETS:
            break
    return found


def rfc6381_codecs(path: Path, fallback: tuple[str, ...]) -> tuple[str, ...]:
    """RFC 6381 codec strings read from the file, one per stream (H.264 from its sequence
    header, AAC from its profile), else ``fallback`` (the profile table's, for codecs this
    does not measure)."""
    import av

    codecs: list[str] = []
    with av.open(str(path)) as c:
        for stream in c.streams:
            cc = stream.codec_context
            if cc.name == "h264" and (avc := h264_codec(c, stream)):
                codecs.append(avc)
            elif cc.name == "aac":
                codecs.append("mp4a.40.5" if (cc.profile or "").startswith("HE") else "mp4a.40.2")
            elif cc.name in ("opus", "mp3"):
                codecs.append(cc.name)
            elif cc.type == "video":
                codecs.append(next(c for c in fallback if not c.startswith(("mp4a", "opus"))))
    return tuple(codecs) if len(codecs) == len(fallback) else fallback
