"""Write a night's products from its builder: keogram, startrails,
timelapse (joined segments) and mini-timelapse, each with a thumbnail.

The timelapse is closed and joined in a second thread while the keogram
and startrails are drawn, so a night is final in the time of the slower
of the two, not their sum.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from zenith_products import layout
from zenith_products.artifact import Artifact
from zenith_products.keogram_render import canvas, draw_labels
from zenith_products.thumbs import jpeg, thumbnail
from zenith_products.video import concat, encode_clip

if TYPE_CHECKING:
    from zenith_products.night import NightBuilder


def _write_jpeg(b: NightBuilder, key: str, image: np.ndarray) -> int:
    data = jpeg(image, b.config.jpeg_quality)
    b.blobs.write_bytes(key, data)
    return len(data)


def _thumb(b: NightBuilder, kind: str, image: np.ndarray) -> str:
    key = layout.thumb_key(b.camera, b.night, kind)
    _write_jpeg(b, key, thumbnail(image, b.config.thumb_width))
    return key


def render(b: NightBuilder, final: bool) -> list[Artifact]:
    """Write the keogram, startrails and timelapse as they are now."""
    if not b.frames:
        return []
    out: list[Artifact] = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="timelapse") as pool:
        video = pool.submit(_timelapse, b, final) if "timelapse" in b.kinds else None
        b.seal_columns()
        if "keogram" in b.kinds:
            out.append(_keogram(b, final))
        if b.trails.stack is not None and "startrails" in b.kinds:
            key = layout.product_key(b.camera, b.night, "startrails")
            size = _write_jpeg(b, key, b.trails.stack)
            out.append(Artifact("startrails", b.night, key,
                                _thumb(b, "startrails", b.trails.stack), b.trails.used, final,
                                size=size, meta=b.trails.stats()))
        if video is not None:
            art = video.result()
            if art is not None:
                out.append(art)
    for art in out:
        art.meta.update(b.summary())
        art.version = b.frames
    return out


def _keogram(b: NightBuilder, final: bool) -> Artifact:
    """Draw the keogram straight from the saved chunks into its image, so
    memory holds the picture once (plus one chunk), however long the night."""
    cfg = b.config
    assert b.sampler is not None
    length, expand = b.sampler.length, cfg.expand
    out, band = canvas(length, b.frames, expand, cfg.labels)
    times = np.zeros(b.frames, np.float64)
    filled = 0
    for cols, stamps in b.column_chunks():
        n = min(len(stamps), b.frames - filled)
        block = cols[:n].transpose(1, 0, 2)
        area = out[band:band + length, filled * expand:(filled + n) * expand]
        area[:] = np.repeat(block, expand, axis=1) if expand > 1 else block
        times[filled:filled + n] = stamps[:n]
        filled += n
    if filled < b.frames:  # a chunk went missing: keep what is there
        out, times = out[:, :filled * expand], times[:filled]
    marks = draw_labels(out, band, times, expand=expand, tz=cfg.tz,
                        title=f"{b.camera}  {b.night}") if band else []
    b.keogram_data = (out[band:band + length, ::expand], times) if final else None
    key = layout.product_key(b.camera, b.night, "keogram")
    size = _write_jpeg(b, key, out)
    return Artifact("keogram", b.night, key, _thumb(b, "keogram", out), len(times), final,
                    size=size, meta={
                        "width": int(out.shape[1]), "height": int(out.shape[0]),
                        "expand": expand, "angle": cfg.angle,
                        "hours": [{"x": m.x, "label": m.label} for m in marks]})


def _timelapse(b: NightBuilder, final: bool) -> Artifact | None:
    b.seal_video()
    if not b.segments:
        return None
    params = b.tl_params
    key = layout.product_key(b.camera, b.night, "timelapse")
    tmp = b.blobs.temp_path(key, ".mp4")
    try:
        frames = concat([b.work.path(s["name"]) for s in b.segments], tmp, params)
        size = tmp.stat().st_size
        b.blobs.write_file(key, tmp, move=True)
    finally:
        tmp.unlink(missing_ok=True)
    thumb = layout.thumb_key(b.camera, b.night, "timelapse")
    if b.poster:
        b.blobs.write_bytes(thumb, b.work.read(b.poster))
    return Artifact("timelapse", b.night, key, thumb if b.poster else None, frames, final,
                    size=size, meta={
                        "width": params.width, "height": params.height, "fps": params.fps,
                        "codec": "h264", "pix_fmt": "yuv420p",
                        "duration_s": round(frames / params.fps, 3)})


def render_mini(b: NightBuilder, final: bool) -> Artifact | None:
    """Write the mini-timelapse of the last N frames (unless the one written
    last already holds them: then it is only marked final)."""
    if not b.mini_on or not b.mini:
        return None
    if b.mini_written is not None and b.mini_written.version == b.frames:
        b.mini_written = replace(b.mini_written, final=final)
        return b.mini_written
    params = b.mini_params
    key = layout.product_key(b.camera, b.night, "mini-timelapse")
    tmp = b.blobs.temp_path(key, ".mp4")
    try:
        frames = encode_clip((f for _, f in b.mini), tmp, params)
        size = tmp.stat().st_size
        b.blobs.write_file(key, tmp, move=True)
    finally:
        tmp.unlink(missing_ok=True)
    last = b.mini[-1][1].to_ndarray(format="bgr24")
    b.mini_written = Artifact("mini-timelapse", b.night, key,
                              _thumb(b, "mini-timelapse", last), frames, final, size=size,
                              meta={"width": params.width, "height": params.height,
                                    "fps": params.fps, "every": b.config.mini_every},
                              version=b.frames)
    return b.mini_written
