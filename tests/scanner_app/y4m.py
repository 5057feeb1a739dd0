"""A label image as a Y4M video, the file format Chromium's fake camera reads
(`--use-file-for-fake-video-capture`): YUV 4:2:0, one frame repeated."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image


def label_video(png: bytes, path: Path, *, width: int = 640, height: int = 480, frames: int = 3) -> Path:
    """Write `png` centred on a white `width` x `height` frame as a Y4M file; returns `path`."""
    label = Image.open(io.BytesIO(png)).convert("RGB")
    scale = min((width - 40) / label.width, (height - 40) / label.height)
    label = label.resize((int(label.width * scale), int(label.height * scale)), Image.Resampling.NEAREST)
    frame = Image.new("RGB", (width, height), "white")
    frame.paste(label, ((width - label.width) // 2, (height - label.height) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    chroma = (width // 2, height // 2)
    planes = y.tobytes() + cb.resize(chroma).tobytes() + cr.resize(chroma).tobytes()
    header = f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode("ascii")
    path.write_bytes(header + b"".join(b"FRAME\n" + planes for _ in range(frames)))
    return path
