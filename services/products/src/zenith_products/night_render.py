"""Write a night's products from a :class:`~zenith_products.snapshot.NightSnapshot`:
keogram, startrails, timelapse (joined segments) and mini-timelapse, each
with a thumbnail.

:data:`RENDERERS` has one function per ``night`` kind of
:data:`zenith.contracts.products.KINDS` (a test holds the two together).
The timelapse is joined in a second thread while the keogram and
startrails are drawn, so a night is final in the time of the slower of
the two, not their sum; both only read the snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np

from zenith.contracts.products import product_key, thumb_key
from zenith_products.artifact import Artifact
from zenith_products.keogram_render import canvas, draw_labels
from zenith_products.snapshot import NightSnapshot
from zenith_products.thumbs import jpeg, thumbnail
from zenith_products.video import concat, encode_clip

Renderer = Callable[[NightSnapshot, bool], Artifact | None]
IN_BACKGROUND = ("timelapse",)  # joined in a second thread


def _write_jpeg(s: NightSnapshot, key: str, image: np.ndarray) -> int:
    data = jpeg(image, s.config.jpeg_quality)
    s.blobs.write_bytes(key, data)
    return len(data)


def _thumb(s: NightSnapshot, kind: str, image: np.ndarray) -> str:
    key = thumb_key(s.camera, s.night, kind)
    _write_jpeg(s, key, thumbnail(image, s.config.thumb_width))
    return key


def render(s: NightSnapshot, final: bool, written: Iterable[Artifact | None] = ()
           ) -> list[Artifact]:
    """Write every kind of the snapshot as it is now. A product in
    ``written`` already made at this frame count is not drawn again, only
    marked ``final``."""
    if not s.frames:
        return []
    done = {a.kind: a for a in written if a is not None and a.version == s.frames}
    kinds = [k for k in RENDERERS if k in s.kinds]
    out: list[Artifact] = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="timelapse") as pool:
        background = {k: pool.submit(RENDERERS[k], s, final) for k in kinds
                      if k in IN_BACKGROUND and k not in done}
        for kind in kinds:
            if kind in done:
                out.append(replace(done[kind], final=final))
            elif kind in background:
                art = background[kind].result()
                if art is not None:
                    out.append(art)
            else:
                art = RENDERERS[kind](s, final)
                if art is not None:
                    out.append(art)
    for art in out:
        if art.kind not in done:
            art.meta.update(s.summary)
            art.version = s.frames
    return out


def keogram(s: NightSnapshot, final: bool) -> Artifact:
    """Draw the keogram straight from the saved chunks into its image, so
    memory holds the picture once (plus one chunk), however long the night."""
    cfg = s.config
    length, expand = s.column_length, cfg.expand
    out, band = canvas(length, s.frames, expand, cfg.labels)
    times = np.zeros(s.frames, np.float64)
    filled = 0
    for cols, stamps in s.column_chunks():
        n = min(len(stamps), s.frames - filled)
        block = cols[:n].transpose(1, 0, 2)
        area = out[band:band + length, filled * expand:(filled + n) * expand]
        area[:] = np.repeat(block, expand, axis=1) if expand > 1 else block
        times[filled:filled + n] = stamps[:n]
        filled += n
    if filled < s.frames:  # a chunk went missing: keep what is there
        out, times = out[:, :filled * expand], times[:filled]
    marks = draw_labels(out, band, times, expand=expand, tz=cfg.tz,
                        title=f"{s.camera}  {s.night}") if band else []
    key = product_key(s.camera, s.night, "keogram")
    size = _write_jpeg(s, key, out)
    return Artifact("keogram", s.night, key, _thumb(s, "keogram", out), len(times), final,
                    size=size, meta={
                        "width": int(out.shape[1]), "height": int(out.shape[0]),
                        "expand": expand, "angle": cfg.angle,
                        "hours": [{"x": m.x, "label": m.label} for m in marks]})


def startrails(s: NightSnapshot, final: bool) -> Artifact | None:
    """The stack as a JPEG (none while no frame was dark enough)."""
    if s.stack is None:
        return None
    key = product_key(s.camera, s.night, "startrails")
    size = _write_jpeg(s, key, s.stack)
    return Artifact("startrails", s.night, key, _thumb(s, "startrails", s.stack),
                    s.trails_used, final, size=size, meta=dict(s.trails_stats))


def timelapse(s: NightSnapshot, final: bool) -> Artifact | None:
    """The sealed segments joined into one MP4 (packets copied)."""
    if not s.segments or s.timelapse is None:
        return None
    params = s.timelapse
    key = product_key(s.camera, s.night, "timelapse")
    tmp = s.blobs.temp_path(key, ".mp4")
    try:
        frames = concat([s.work.path(name) for name in s.segments], tmp, params)
        size = tmp.stat().st_size
        s.blobs.write_file(key, tmp, move=True)
    finally:
        tmp.unlink(missing_ok=True)
    thumb = thumb_key(s.camera, s.night, "timelapse")
    if s.poster:
        s.blobs.write_bytes(thumb, s.work.read(s.poster))
    return Artifact("timelapse", s.night, key, thumb if s.poster else None, frames, final,
                    size=size, meta={
                        "width": params.width, "height": params.height, "fps": params.fps,
                        "codec": "h264", "pix_fmt": "yuv420p",
                        "duration_s": round(frames / params.fps, 3)})


def mini_timelapse(s: NightSnapshot, final: bool) -> Artifact | None:
    """The mini-timelapse of the last N frames."""
    if not s.mini or s.mini_params is None:
        return None
    params = s.mini_params
    key = product_key(s.camera, s.night, "mini-timelapse")
    tmp = s.blobs.temp_path(key, ".mp4")
    try:
        frames = encode_clip(iter(s.mini), tmp, params)
        size = tmp.stat().st_size
        s.blobs.write_file(key, tmp, move=True)
    finally:
        tmp.unlink(missing_ok=True)
    last = s.mini[-1].to_ndarray(format="bgr24")
    return Artifact("mini-timelapse", s.night, key, _thumb(s, "mini-timelapse", last), frames,
                    final, size=size, meta={"width": params.width, "height": params.height,
                                            "fps": params.fps, "every": s.config.mini_every})


RENDERERS: dict[str, Renderer] = {
    "keogram": keogram,
    "startrails": startrails,
    "timelapse": timelapse,
    "mini-timelapse": mini_timelapse,
}
