"""Make videos for Chromium's fake camera: a still image held for a few frames, written as YUV4MPEG2 4:2:0.

Chromium reads the file given by --use-file-for-fake-video-capture and loops it; the picture size comes from the
file. The format it wants is `C420jpeg` (full-range YCbCr as in JPEG, chroma subsampled by two), even width and
height. Pillow does the colour conversion.
"""

from __future__ import annotations

import codecs
import io
from pathlib import Path

import barcode
import qrcode
from barcode.writer import ImageWriter
from PIL import Image
from ppf.datamatrix import DataMatrix

FNC1 = "\xf1"  # python-barcode's FNC1 character inside a Code 128 / GS1-128 message


def write_y4m(image: Image.Image, path: Path, *, size: tuple[int, int] = (640, 480), frames: int = 5) -> Path:
    """Centre the image on a white frame of `size` and write `frames` identical frames."""
    width, height = size
    if width % 2 or height % 2:
        raise ValueError("the fake camera needs an even width and height")
    frame = Image.new("RGB", size, "white")
    # Whole-number scaling keeps every bar and module the same width, as a sharp camera would see them.
    scale = max(1, min((width - 40) // image.width, (height - 40) // image.height))
    picture = image.convert("RGB").resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
    frame.paste(picture, ((width - picture.width) // 2, (height - picture.height) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    half = (width // 2, height // 2)
    cb = cb.resize(half, Image.Resampling.BOX)
    cr = cr.resize(half, Image.Resampling.BOX)
    payload = y.tobytes() + cb.tobytes() + cr.tobytes()
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(b"FRAME\n")
            f.write(payload)
    return path


def qr_image(text: str) -> Image.Image:
    qr = qrcode.QRCode(border=4, box_size=8, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(text)
    qr.make(fit=True)
    return qr.make_image(fill_color="black", back_color="white").get_image()


def _linear(kind: str, data: str, module_width_mm: float) -> Image.Image:
    writer = ImageWriter()
    code = barcode.get(kind, data, writer=writer)
    buf = io.BytesIO()
    # dpi 96 and module_width 0.53 mm → 2 px per module: crisp bars, no resampling blur.
    code.write(buf, options={"module_width": module_width_mm, "module_height": 18.0, "quiet_zone": 6.5,
                             "dpi": 96, "write_text": False})
    buf.seek(0)
    return Image.open(buf).convert("RGB")


def ean13_image(digits: str) -> Image.Image:
    return _linear("ean13", digits, 0.8)


def gs1_128_image(element_string: str) -> Image.Image:
    """`element_string` without the leading FNC1; use FNC1 after a variable-length field that is not last."""
    return _linear("gs1_128", element_string, 0.53)


def qr_video(text: str, path: Path) -> Path:
    return write_y4m(qr_image(text), path)


def ean13_video(digits: str, path: Path) -> Path:
    return write_y4m(ean13_image(digits), path)


def gs1_128_video(element_string: str, path: Path) -> Path:
    return write_y4m(gs1_128_image(element_string), path, size=(960, 540))


DATAMATRIX_FNC1 = 232  # the FNC1 codeword: first, it makes the symbol GS1 DataMatrix; later, it separates fields


class _GS1Message(str):
    """A GS1 element string (GS between fields) that ppf.datamatrix encodes with FNC1 codewords (ASCII encodation)."""

    def encode(self, encoding="utf-8", errors="strict"):
        if encoding != "datamatrix.ascii":
            raise ValueError("GS1 DataMatrix is written in ASCII encodation here")
        out = [DATAMATRIX_FNC1]
        for n, part in enumerate(str(self).split("\x1d")):
            if n:
                out.append(DATAMATRIX_FNC1)
            out.extend(codecs.encode(part, "datamatrix.ascii"))
        return bytes(out)


def gs1_datamatrix_image(element_string: str, module: int = 10) -> Image.Image:
    """`element_string` with GS (\\x1d) after a variable-length field that is not last."""
    matrix = DataMatrix(_GS1Message(element_string)).matrix
    quiet = 2
    size = (len(matrix[0]) + 2 * quiet, len(matrix) + 2 * quiet)
    img = Image.new("L", size, 255)
    for y, row in enumerate(matrix):
        for x, bit in enumerate(row):
            if bit:
                img.putpixel((x + quiet, y + quiet), 0)
    return img.resize((size[0] * module, size[1] * module), Image.Resampling.NEAREST)


def gs1_datamatrix_video(element_string: str, path: Path) -> Path:
    return write_y4m(gs1_datamatrix_image(element_string), path)
