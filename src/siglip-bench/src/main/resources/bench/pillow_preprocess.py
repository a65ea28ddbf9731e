"""Pillow + NumPy baseline for `siglip bench`: the steps of transformers' load_image +
SiglipImageProcessor (decode, convert("RGB"), bicubic resize, rescale, normalise, HWC->CHW),
timed on one core. Prints `pillow <step> ms=<median> cpu_ms=<median>` lines, median of --runs
runs of --per-run images each; cpu_ms is this process's CPU time (time.process_time).
`transformers_steps` repeats the pipeline the way transformers does it (no transformers import).

Usage: OMP_NUM_THREADS=1 /usr/bin/python3 pillow_preprocess.py IMAGE.jpg [--size 224] [--runs 7] [--per-run 40]
"""
import argparse
import io
import statistics
import time

import numpy as np
import PIL
from PIL import Image, ImageOps


def timed(fn, runs, per_run):
    for _ in range(per_run):  # warm-up
        fn()
    wall, cpu = [], []
    for _ in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(per_run):
            fn()
        wall.append((time.perf_counter() - w0) * 1e3 / per_run)
        cpu.append((time.process_time() - c0) * 1e3 / per_run)
    return statistics.median(wall), statistics.median(cpu)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("image")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--per-run", type=int, default=40)
    ap.add_argument("--steps", default="decode,resize,normalise,full,transformers_steps",
                    help="comma-separated steps to time; 'draft' is full with Image.draft('RGB', (2*size, 2*size)) "
                         "first (libjpeg's DCT-domain scaling, as Image.thumbnail uses it)")
    a = ap.parse_args()
    data = open(a.image, "rb").read()
    size = (a.size, a.size)
    # SiglipImageProcessor defaults: rescale 1/255, mean = std = 0.5.
    mean = np.array([0.5, 0.5, 0.5], dtype=np.float32)
    std = np.array([0.5, 0.5, 0.5], dtype=np.float32)

    def decode():
        im = Image.open(io.BytesIO(data))
        im.load()
        return im.convert("RGB")

    rgb = decode()
    small = rgb.resize(size, Image.BICUBIC)

    def resize():
        return rgb.resize(size, Image.BICUBIC)

    mean_chw, std_chw = mean[:, None, None], std[:, None, None]

    def normalise(im=small):
        # transformers' order of operations (uint8 * 1/255 in float64, to float32, minus mean, over
        # std), done channels-first: the same values as its channels-last broadcast, about twice as
        # fast in NumPy, so the baseline is the stronger one.
        x = np.asarray(im).transpose(2, 0, 1).astype(np.float64, order="C") * (1 / 255)
        return (x.astype(np.float32) - mean_chw) / std_chw

    def full():
        return normalise(decode().resize(size, Image.BICUBIC))

    def draft():
        # the fast path: libjpeg decodes at 1/2, 1/4 or 1/8 scale, never below twice the target
        im = Image.open(io.BytesIO(data))
        im.draft("RGB", (2 * a.size, 2 * a.size))
        return normalise(im.convert("RGB").resize(size, Image.BICUBIC))

    def transformers_steps():
        # What load_image + SiglipImageProcessor do, minus transformers' Python-level checks (so the
        # real thing is a little slower): exif_transpose, convert, to NumPy, resize through
        # to_pil_image, float64 rescale to float32, channels-last normalise, transpose to CHW.
        im = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
        x = np.array(im)
        x = np.array(Image.fromarray(x).resize(size, Image.BICUBIC))
        x = (x.astype(np.float64) * (1 / 255)).astype(np.float32)
        x = (x - mean) / std
        return np.ascontiguousarray(x.transpose(2, 0, 1))

    assert np.array_equal(full(), transformers_steps())
    print(f"pillow version={PIL.__version__} numpy={np.__version__} image={rgb.width}x{rgb.height} size={a.size}")
    steps = {"decode": decode, "resize": resize, "normalise": normalise, "full": full, "draft": draft,
             "transformers_steps": transformers_steps}
    for name in a.steps.split(","):
        ms, cpu = timed(steps[name], a.runs, a.per_run)
        print(f"pillow {name} ms={ms:.3f} cpu_ms={cpu:.3f}")


if __name__ == "__main__":
    main()
