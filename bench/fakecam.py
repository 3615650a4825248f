"""Videos for Chromium's fake camera (YUV4MPEG2, 4:2:0), shared by the camera benchmark and the browser tests.

Chromium reads the file given by --use-file-for-fake-video-capture and loops it; the picture size and frame rate
come from the file. The format it wants is `C420jpeg` (full-range YCbCr as in JPEG, chroma subsampled by two), even
width and height. Pillow does the colour conversion.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path

import barcode
from barcode.writer import ImageWriter
from PIL import Image


def _check(size: tuple[int, int]) -> None:
    if size[0] % 2 or size[1] % 2:
        raise ValueError("the fake camera needs an even width and height")


def frame(image: Image.Image | None, size: tuple[int, int] = (640, 480)) -> bytes:
    """One 4:2:0 frame: the image centred on white at `size` (None: a blank white frame)."""
    _check(size)
    width, height = size
    picture_frame = Image.new("RGB", size, "white")
    if image is not None:
        # Whole-number scaling keeps every bar and module the same width, as a sharp camera would see them.
        scale = max(1, min((width - 40) // image.width, (height - 40) // image.height))
        picture = image.convert("RGB").resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
        picture_frame.paste(picture, ((width - picture.width) // 2, (height - picture.height) // 2))
    y, cb, cr = picture_frame.convert("YCbCr").split()
    half = (width // 2, height // 2)
    cb = cb.resize(half, Image.Resampling.BOX)
    cr = cr.resize(half, Image.Resampling.BOX)
    return y.tobytes() + cb.tobytes() + cr.tobytes()


def write_frames(frames: Iterable[bytes], path: Path, *, size: tuple[int, int] = (640, 480), fps: int = 10) -> Path:
    """Write already made frames (from `frame`, all of `size`) as a y4m file at `fps` frames a second."""
    _check(size)
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{size[0]} H{size[1]} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for payload in frames:
            f.write(b"FRAME\n")
            f.write(payload)
    return path


def write_y4m(image: Image.Image, path: Path, *, size: tuple[int, int] = (640, 480), frames: int = 5) -> Path:
    """A still picture: the image centred on a white frame of `size`, `frames` identical frames."""
    payload = frame(image, size)
    return write_frames((payload for _ in range(frames)), path, size=size)


def write_sequence(images: list[Image.Image], path: Path, *, size: tuple[int, int] = (640, 480), fps: int = 10,
                   hold_frames: int = 8, gap_frames: int = 4) -> Path:
    """Each image held for `hold_frames` frames, then `gap_frames` blank white frames, in order (Chromium loops)."""
    blank = frame(None, size)

    def frames():
        for image in images:
            payload = frame(image, size)
            yield from (payload for _ in range(hold_frames))
            yield from (blank for _ in range(gap_frames))

    return write_frames(frames(), path, size=size, fps=fps)


def linear_image(kind: str, data: str, module_width_mm: float) -> Image.Image:
    writer = ImageWriter()
    code = barcode.get(kind, data, writer=writer)
    buf = io.BytesIO()
    # dpi 96 and module_width 0.53 mm → 2 px per module: crisp bars, no resampling blur.
    code.write(buf, options={"module_width": module_width_mm, "module_height": 18.0, "quiet_zone": 6.5,
                             "dpi": 96, "write_text": False})
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def ean13_image(digits: str) -> Image.Image:
    return linear_image("ean13", digits, 0.8)
