#!/usr/bin/env python3
"""Pictures of digits that are not MNIST, to compare the shipped models on what users hand nn-predict.

Two kinds, each a seeded set of PNG files with a labels.tsv (path<TAB>digit), written to --out:

  fonts    typed digits: every DejaVu face on the machine (sans, serif, mono, condensed, bold, oblique,
           extra light), 60-200 px, rotated up to 10 degrees, dark ink on paper of uneven brightness,
           photographed: a lighting gradient, a slight perspective tilt, blur, sensor noise, sometimes a
           ruled line or a shadowed margin near the edge.
  strokes  handwriting-like digits: each digit drawn as one to three pen strokes through control points
           of a few hand-designed shapes per digit (open and closed 4, crossed and plain 7, 1 with and
           without a flag, ...), every point jittered, pen width 3-14 px, a slant, drawn with a slightly
           wobbling ballpoint or marker line, then photographed as above (sometimes light ink on a dark
           board).

Needs Pillow (PIL). Usage:
  python3 models/make-photos.py --out /tmp/made --count 500 --seed 1     # 500 of each kind
  cut -f1 /tmp/made/fonts/labels.tsv | nn-predict - > pred.tsv
"""
import argparse, glob, math, os, random

from PIL import Image, ImageDraw, ImageFilter, ImageFont

# Control points of pen strokes in a unit box (x right, y down), a few shapes per digit. Each shape is a
# list of strokes; a stroke is a list of points the pen passes through (joined by a smooth curve).
SHAPES = {
    0: [[[(.5, .05), (.2, .2), (.15, .5), (.25, .85), (.5, .95), (.8, .8), (.85, .45), (.75, .15), (.5, .05)]],
        [[(.55, .05), (.25, .25), (.25, .75), (.5, .95), (.75, .75), (.75, .25), (.55, .05), (.45, .1)]]],
    1: [[[(.5, .05), (.5, .95)]],
        [[(.3, .25), (.55, .05), (.55, .95)]],
        [[(.3, .25), (.55, .05), (.55, .95)], [(.35, .95), (.75, .95)]]],
    2: [[[(.2, .25), (.4, .07), (.7, .1), (.78, .35), (.55, .6), (.2, .93), (.85, .92)]],
        [[(.2, .3), (.5, .05), (.8, .3), (.15, .95), (.5, .85), (.85, .95)]]],
    3: [[[(.2, .15), (.55, .05), (.8, .25), (.5, .47), (.8, .7), (.55, .95), (.2, .85)]],
        [[(.2, .1), (.8, .1), (.45, .45), (.8, .65), (.6, .93), (.2, .85)]]],
    4: [[[(.65, .95), (.65, .05), (.15, .65), (.9, .65)]],
        [[(.25, .05), (.2, .55), (.85, .55)], [(.7, .25), (.7, .95)]]],
    5: [[[(.8, .07), (.3, .07), (.25, .45), (.6, .4), (.8, .65), (.6, .93), (.2, .85)]],
        [[(.3, .07), (.25, .45), (.65, .42), (.8, .7), (.5, .95), (.2, .85)], [(.3, .07), (.8, .07)]]],
    6: [[[(.7, .05), (.35, .3), (.2, .7), (.45, .95), (.75, .8), (.7, .55), (.4, .5), (.22, .65)]],
        [[(.65, .05), (.25, .45), (.3, .9), (.7, .88), (.72, .6), (.3, .6)]]],
    7: [[[(.15, .08), (.85, .08), (.4, .95)]],
        [[(.15, .08), (.85, .08), (.45, .95)], [(.35, .5), (.75, .5)]],
        [[(.2, .15), (.3, .05), (.85, .08), (.55, .55), (.45, .95)]]],
    8: [[[(.5, .5), (.2, .3), (.5, .05), (.8, .25), (.5, .5), (.2, .75), (.5, .95), (.8, .75), (.5, .5)]],
        [[(.75, .15), (.5, .05), (.25, .2), (.75, .75), (.5, .95), (.25, .75), (.75, .25)]]],
    9: [[[(.75, .35), (.5, .5), (.25, .3), (.5, .05), (.78, .25), (.75, .6), (.55, .95)]],
        [[(.78, .3), (.5, .45), (.25, .25), (.5, .05), (.75, .2), (.72, .95)]]],
}


def catmull(points, steps=12):
    """A smooth curve through the points (Catmull-Rom), as a list of points."""
    if len(points) < 3:
        return points
    p = [points[0]] + points + [points[-1]]
    out = []
    for i in range(1, len(p) - 2):
        for s in range(steps):
            t = s / steps
            t2, t3 = t * t, t * t * t
            out.append(tuple(0.5 * ((2 * p[i][k]) + (-p[i - 1][k] + p[i + 1][k]) * t
                                    + (2 * p[i - 1][k] - 5 * p[i][k] + 4 * p[i + 1][k] - p[i + 2][k]) * t2
                                    + (-p[i - 1][k] + 3 * p[i][k] - 3 * p[i + 1][k] + p[i + 2][k]) * t3) for k in range(2)))
    out.append(points[-1])
    return out


def paper(rng, w, h):
    """A grey page with a lighting gradient; (image, ink level, dark board?)."""
    board = rng.random() < 0.12
    base = rng.uniform(20, 70) if board else rng.uniform(150, 245)
    gx, gy = rng.uniform(-40, 40), rng.uniform(-40, 40)
    corners = Image.new("L", (2, 2))
    for x in (0, 1):
        for y in (0, 1):
            corners.putpixel((x, y), int(max(0, min(255, base + gx * (x - .5) + gy * (y - .5)))))
    img = corners.resize((w, h), Image.BILINEAR)
    ink = rng.uniform(200, 250) if board else rng.uniform(10, max(11, base - 90))
    return img, ink, board


def photograph(rng, img, board):
    """Edge clutter, perspective tilt, blur and noise, as a phone would add."""
    w, h = img.size
    d = ImageDraw.Draw(img)
    if rng.random() < 0.25:  # a ruled line or a shadowed margin near an edge
        y = rng.choice([rng.uniform(0.02, 0.1), rng.uniform(0.9, 0.98)]) * h
        d.line([(0, y), (w, y + rng.uniform(-5, 5))], fill=int(rng.uniform(60, 140)) if not board else 160, width=rng.randint(1, 3))
    # a slight perspective tilt
    dx, dy = rng.uniform(-0.06, 0.06) * w, rng.uniform(-0.06, 0.06) * h
    quad = (dx, dy, -dx, h + dy, w + dx, h - dy, w - dx, -dy)
    img = img.transform((w, h), Image.QUAD, quad, resample=Image.BILINEAR, fillcolor=int(img.getpixel((0, 0))))
    img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.6)))
    noise = Image.effect_noise((w, h), rng.uniform(4, 14))
    return Image.blend(img, noise, rng.uniform(0.04, 0.12))


def font_digit(rng, fonts, digit):
    size = rng.randint(60, 200)
    w, h = int(size * rng.uniform(1.0, 1.8)), int(size * rng.uniform(1.1, 1.8))
    img, ink, board = paper(rng, w, h)
    font = ImageFont.truetype(rng.choice(fonts), int(size * rng.uniform(0.5, 0.8)))
    glyph = Image.new("L", (w, h), 0)
    ImageDraw.Draw(glyph).text((w * rng.uniform(0.35, 0.65), h * rng.uniform(0.4, 0.6)), str(digit), font=font, fill=255, anchor="mm")
    glyph = glyph.rotate(rng.uniform(-10, 10), resample=Image.BILINEAR)
    img.paste(Image.new("L", (w, h), int(ink)), (0, 0), glyph)
    return photograph(rng, img, board)


def stroke_digit(rng, digit):
    size = rng.randint(80, 260)
    w, h = int(size * rng.uniform(1.0, 1.6)), int(size * rng.uniform(1.1, 1.6))
    img, ink, board = paper(rng, w, h)
    shape = rng.choice(SHAPES[digit])
    box_h = h * rng.uniform(0.45, 0.75)
    box_w = box_h * rng.uniform(0.55, 0.85)
    x0, y0 = rng.uniform(0.1, 0.9) * (w - box_w), rng.uniform(0.1, 0.9) * (h - box_h)
    slant = rng.uniform(-0.25, 0.25)
    pen = max(2, int(box_h * rng.uniform(0.03, 0.11)))
    d = ImageDraw.Draw(img)
    for stroke in shape:
        pts = [(x + rng.gauss(0, 0.035), y + rng.gauss(0, 0.035)) for x, y in stroke]
        curve = catmull(pts)
        xy = [(x0 + (x + slant * (0.5 - y)) * box_w, y0 + y * box_h) for x, y in curve]
        for a, b in zip(xy, xy[1:]):  # a wobbling pen: the width drifts along the stroke
            width = max(1, int(pen * rng.uniform(0.8, 1.15)))
            d.line([a, b], fill=int(ink), width=width)
            d.ellipse([b[0] - width / 2, b[1] - width / 2, b[0] + width / 2, b[1] + width / 2], fill=int(ink))
    return photograph(rng, img, board)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=500, help="pictures of each kind (classes in turn)")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    fonts = sorted(glob.glob("/usr/share/fonts/truetype/dejavu/DejaVu*.ttf"))
    fonts = [f for f in fonts if "MathTeX" not in f]
    if not fonts:
        raise SystemExit("make-photos.py: no DejaVu fonts in /usr/share/fonts/truetype/dejavu (apt-get install fonts-dejavu-core)")
    for kind in ("fonts", "strokes"):
        rng = random.Random(f"{a.seed}-{kind}")
        folder = os.path.join(a.out, kind)
        os.makedirs(folder, exist_ok=True)
        rows = []
        for i in range(a.count):
            digit = i % 10
            img = font_digit(rng, fonts, digit) if kind == "fonts" else stroke_digit(rng, digit)
            path = os.path.join(folder, f"{i:04d}-{digit}.png")
            img.save(path)
            rows.append(f"{path}\t{digit}\n")
        with open(os.path.join(folder, "labels.tsv"), "w") as f:
            f.writelines(rows)
        print(f"{len(rows)} {kind} pictures in {folder}")


if __name__ == "__main__":
    main()
