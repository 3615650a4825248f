"""Make videos for Chromium's fake camera: a still image held for a few frames, written as YUV4MPEG2 4:2:0.

The y4m writer and the linear-code images live in bench/fakecam.py (the camera benchmark uses them too); this adds
the code pictures only the tests need (QR, GS1-128, GS1 DataMatrix).
"""

from __future__ import annotations

import codecs
from pathlib import Path

import qrcode
from PIL import Image
from ppf.datamatrix import DataMatrix

from bench.fakecam import ean13_image, linear_image, write_y4m

__all__ = ["FNC1", "ean13_image", "ean13_video", "gs1_128_image", "gs1_128_video", "gs1_datamatrix_image",
           "gs1_datamatrix_video", "qr_image", "qr_video", "write_y4m"]

FNC1 = "\xf1"  # python-barcode's FNC1 character inside a Code 128 / GS1-128 message


def qr_image(text: str) -> Image.Image:
    qr = qrcode.QRCode(border=4, box_size=8, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(text)
    qr.make(fit=True)
    return qr.make_image(fill_color="black", back_color="white").get_image()


def gs1_128_image(element_string: str) -> Image.Image:
    """`element_string` without the leading FNC1; use FNC1 after a variable-length field that is not last."""
    return linear_image("gs1_128", element_string, 0.53)


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
