"""The figures the notebooks draw (``cnn_course.utils.plots``).

Every plotting function takes arrays (or plain numbers), builds its own
``matplotlib.figure.Figure`` with the object-oriented API and returns it. None
of them calls ``plt.show()``: in a notebook the returned figure is displayed
by the inline backend, and in a script or a test it can be saved with
``fig.savefig(...)`` or closed with ``plt.close(fig)``.

Conventions: images are channels-last, ``(n_H, n_W)`` or ``(n_H, n_W, 3)``,
with RGB values in ``[0, 1]``.
"""

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle

__all__ = [
    "load_sample_image",
    "plot_padding",
    "plot_sliding_window",
    "plot_pooling",
    "plot_edge_detection",
    "plot_timings",
]

# One colour per highlighted window in plot_sliding_window.
_WINDOW_COLOURS = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown"]


def load_sample_image(size=64, gray=False):
    """A square photograph that ships with matplotlib (no download needed).

    The picture is matplotlib's sample image of Grace Hopper, cropped to a
    square around the face and resized with Pillow.

    Arguments:
    size -- side of the returned image in pixels
    gray -- if True, return a single-channel (luminance) image

    Returns:
    image -- float64 array in [0, 1], shape (size, size, 3), or (size, size) if gray
    """
    from matplotlib import cbook
    from PIL import Image

    if int(size) < 1:
        raise ValueError(f"size must be a positive integer, got {size!r}.")
    with cbook.get_sample_data("grace_hopper.jpg") as f:
        picture = Image.open(f).convert("RGB")
        width, height = picture.size  # 512 x 600: keep the top square, where the face is
        side = min(width, height)
        picture = picture.crop((0, 0, side, side))
        if gray:
            picture = picture.convert("L")
        picture = picture.resize((int(size), int(size)), Image.LANCZOS)
        image = np.asarray(picture, dtype=np.float64) / 255.0
    return np.clip(image, 0.0, 1.0)


def _show_image(ax, image, title):
    """imshow an RGB or gray image in [0, 1] with a title and no ticks."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim == 2:
        ax.imshow(image, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    else:
        ax.imshow(np.clip(image, 0.0, 1.0), interpolation="nearest")
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])


def plot_padding(image, padded, pad):
    """Side by side: an image and its zero-padded version, at the same scale.

    Arguments:
    image -- array of shape (n_H, n_W, 3) or (n_H, n_W), values in [0, 1]
    padded -- the same image padded with ``pad`` zeros on each side,
              shape (n_H + 2 * pad, n_W + 2 * pad, ...)
    pad -- the padding used (drawn as a dashed frame around the original pixels)

    Returns:
    fig -- matplotlib Figure with 2 axes
    """
    image, padded = np.asarray(image), np.asarray(padded)
    n_H, n_W = image.shape[:2]
    if padded.shape[:2] != (n_H + 2 * pad, n_W + 2 * pad):
        raise ValueError(
            f"padded has shape {padded.shape}, expected {(n_H + 2 * pad, n_W + 2 * pad)} "
            f"for an image of shape {image.shape} and pad={pad}."
        )
    fig, axes = plt.subplots(1, 2, figsize=(8, 4.4), layout="constrained")
    _show_image(axes[0], image, f"original: {n_H} x {n_W}")
    _show_image(axes[1], padded, f"zero-padded, pad = {pad}: {n_H + 2 * pad} x {n_W + 2 * pad}")
    # Same data limits on both panels, so the padded image looks bigger.
    size = max(padded.shape[:2])
    axes[0].set_xlim(-0.5 - pad, n_W - 0.5 + pad)
    axes[0].set_ylim(n_H - 0.5 + pad, -0.5 - pad)
    for ax in axes:
        ax.set_axis_off()  # no frame: the black padding must not look like a border line
    axes[1].add_patch(
        Rectangle((pad - 0.5, pad - 0.5), n_W, n_H, fill=False, edgecolor="tab:red",
                  linestyle="--", linewidth=1.5)
    )
    axes[1].text(size / 2 - 0.5, pad / 2 - 0.5, f"{pad} zero pixels", color="white",
                 ha="center", va="center", fontsize=9)
    return fig


def _format_value(value):
    value = float(value)
    return f"{value:.0f}" if value.is_integer() else f"{value:.1f}"


def plot_sliding_window(x, f, stride, pad=0, positions=None):
    """How an f x f window slides over a 2D input: stride, padding and output size.

    One panel per highlighted output position shows the (padded) input grid
    with the values written in the cells, padding cells in grey, and the
    window that produces that output. The last panel is the output grid, with
    the same positions coloured, and the output-size formula.

    Arguments:
    x -- 2D array (n_H_prev, n_W_prev), the input (one channel)
    f -- window (filter) size
    stride -- step between two windows
    pad -- zeros added on each side of the input
    positions -- list of output positions (h, w) to highlight; by default the
                 first row of outputs and the first position of the second row
                 (at most 4)

    Returns:
    fig -- matplotlib Figure with len(positions) + 1 axes
    """
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"x must be a 2D array (one channel), got shape {x.shape}.")
    n_H_prev, n_W_prev = x.shape
    n_H = (n_H_prev - f + 2 * pad) // stride + 1
    n_W = (n_W_prev - f + 2 * pad) // stride + 1
    if n_H < 1 or n_W < 1:
        raise ValueError(f"a {f}x{f} window does not fit in a {x.shape} input with pad={pad}.")
    if positions is None:
        positions = [(0, w) for w in range(min(n_W, 3))]
        if n_H > 1:
            positions.append((1, 0))
    positions = [tuple(p) for p in positions]
    for h, w in positions:
        if not (0 <= h < n_H and 0 <= w < n_W):
            raise ValueError(f"position {(h, w)} is outside the {n_H} x {n_W} output.")
    x_pad = np.pad(x, pad)
    size_H, size_W = x_pad.shape
    is_pad = np.ones(x_pad.shape, dtype=bool)
    is_pad[pad:pad + n_H_prev, pad:pad + n_W_prev] = False

    n_panels = len(positions) + 1
    fig, axes = plt.subplots(
        1, n_panels, figsize=(2.9 * n_panels, 4.0), layout="constrained",
        gridspec_kw={"width_ratios": [1] * len(positions) + [max(0.6, n_W / size_W)]},
    )
    axes = np.atleast_1d(axes)
    for k, ((h, w), ax) in enumerate(zip(positions, axes[:-1], strict=True)):
        colour = _WINDOW_COLOURS[k % len(_WINDOW_COLOURS)]
        # One image for the cell colours and two line collections for the grid: much
        # faster to draw than one patch per cell.
        ax.imshow(np.where(is_pad, 0.85, 1.0), cmap="gray", vmin=0.0, vmax=1.0,
                  extent=(0, size_W, size_H, 0), interpolation="nearest")
        ax.hlines(np.arange(size_H + 1), 0, size_W, color="0.6", linewidth=0.8)
        ax.vlines(np.arange(size_W + 1), 0, size_H, color="0.6", linewidth=0.8)
        for (i, j), value in np.ndenumerate(x_pad):
            ax.text(j + 0.5, i + 0.5, _format_value(value), ha="center", va="center",
                    fontsize=8, color="0.45" if is_pad[i, j] else "black")
        top, left = h * stride, w * stride
        ax.add_patch(Rectangle((left, top), f, f, facecolor=colour, alpha=0.3, edgecolor=colour,
                               linewidth=2.5))
        ax.set_title(f"output [{h}, {w}]:\nrows {top}-{top + f - 1}, cols {left}-{left + f - 1}",
                     fontsize=10, color=colour)
        ax.set_xlim(0, size_W)
        ax.set_ylim(size_H, 0)
        ax.set_aspect("equal")
        ax.set_axis_off()

    ax = axes[-1]
    coloured = {p: _WINDOW_COLOURS[k % len(_WINDOW_COLOURS)] for k, p in enumerate(positions)}
    for h in range(n_H):
        for w in range(n_W):
            colour = coloured.get((h, w))
            ax.add_patch(Rectangle((w, h), 1, 1, facecolor=colour or "white",
                                   alpha=0.45 if colour else 1.0, edgecolor="0.4"))
            ax.text(w + 0.5, h + 0.5, f"[{h},{w}]", ha="center", va="center", fontsize=8)
    ax.set_xlim(0, n_W)
    ax.set_ylim(n_H, 0)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(f"output: {n_H} x {n_W}", fontsize=10)
    formula = (f"$n_H = \\lfloor\\frac{{{n_H_prev} - {f} + 2 \\cdot {pad}}}{{{stride}}}"
               f"\\rfloor + 1 = {n_H}$")
    ax.text(n_W / 2, n_H + 0.4, formula, ha="center", va="top", fontsize=11)
    fig.suptitle(f"input {n_H_prev} x {n_W_prev}, filter f = {f}, stride s = {stride}, "
                 f"pad p = {pad}" + (" (grey: padding)" if pad else ""))
    return fig


def plot_pooling(image, max_pooled, avg_pooled, f=None, stride=None):
    """Three panels: an image, its max pooling and its average pooling.

    Arguments:
    image -- array (n_H, n_W, 3) or (n_H, n_W), values in [0, 1]
    max_pooled -- max pooling of ``image``, shape (n_H_out, n_W_out, ...)
    avg_pooled -- average pooling of ``image``, same shape as ``max_pooled``
    f, stride -- optional, the pooling window and stride, shown in the titles

    Returns:
    fig -- matplotlib Figure with 3 axes
    """
    image, max_pooled, avg_pooled = (np.asarray(a) for a in (image, max_pooled, avg_pooled))
    if max_pooled.shape != avg_pooled.shape:
        raise ValueError(f"max_pooled {max_pooled.shape} and avg_pooled {avg_pooled.shape} "
                         "must have the same shape.")
    setting = f"\n(f = {f}, stride = {stride})" if f is not None else ""
    fig, axes = plt.subplots(1, 3, figsize=(10, 3.9), layout="constrained")
    shape = "x".join(str(n) for n in max_pooled.shape[:2])
    _show_image(axes[0], image, "input: " + "x".join(str(n) for n in image.shape[:2]))
    _show_image(axes[1], max_pooled, f"max pooling: {shape}{setting}")
    _show_image(axes[2], avg_pooled, f"average pooling: {shape}{setting}")
    return fig


def plot_edge_detection(image, kernel, response):
    """What one filter does: the input, the filter's weights and its output.

    Arguments:
    image -- 2D gray image (n_H, n_W), values in [0, 1]
    kernel -- 2D array (f, f), the filter, drawn with its weights written in
    response -- 2D array, the convolution output (one channel); shown with a
                diverging colour map centred on zero (red: positive, blue: negative)

    Returns:
    fig -- matplotlib Figure with 4 axes (three panels and a colour bar)
    """
    image, kernel, response = (np.asarray(a, dtype=np.float64) for a in (image, kernel, response))
    if image.ndim != 2 or kernel.ndim != 2 or response.ndim != 2:
        raise ValueError("image, kernel and response must all be 2D arrays, got shapes "
                         f"{image.shape}, {kernel.shape}, {response.shape}.")
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.9), layout="constrained",
                             gridspec_kw={"width_ratios": [1, 0.7, 1]})
    _show_image(axes[0], image, f"gray input: {image.shape[0]} x {image.shape[1]}")

    limit = 2 * max(float(np.abs(kernel).max()), 1e-12)  # pale colours: the numbers stay readable
    axes[1].imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit)
    for (i, j), value in np.ndenumerate(kernel):
        axes[1].text(j, i, f"{value:g}", ha="center", va="center", fontsize=14)
    axes[1].set_title(f"filter: {kernel.shape[0]} x {kernel.shape[1]}")
    axes[1].set_xticks([])
    axes[1].set_yticks([])

    # Saturate the strongest 1% of the responses so that the weaker edges show too.
    limit = max(float(np.percentile(np.abs(response), 99)), 1e-12)
    shown = axes[2].imshow(response, cmap="RdBu_r", vmin=-limit, vmax=limit)
    axes[2].set_title(f"output: {response.shape[0]} x {response.shape[1]}")
    axes[2].set_xticks([])
    axes[2].set_yticks([])
    fig.colorbar(shown, ax=axes[2], shrink=0.85, extend="both",
                 label="response (red: brighter on the left)")
    return fig


def plot_timings(names, seconds):
    """Horizontal bar chart of run times on a log scale, with the times written in.

    Arguments:
    names -- sequence of labels, one per implementation
    seconds -- sequence of run times in seconds (positive), same length as names

    Returns:
    fig -- matplotlib Figure with 1 axes
    """
    names = [str(n) for n in names]
    seconds = np.asarray(seconds, dtype=np.float64)
    if seconds.shape != (len(names),):
        raise ValueError(f"need one time per name: {len(names)} names, {seconds.size} times.")
    if np.any(seconds <= 0):
        raise ValueError("times must be positive to be drawn on a log scale.")
    fig, ax = plt.subplots(figsize=(7, 0.6 + 0.6 * len(names)), layout="constrained")
    rows = np.arange(len(names))
    colours = [_WINDOW_COLOURS[k % len(_WINDOW_COLOURS)] for k in rows]
    ax.barh(rows, seconds, color=colours)
    ax.set_yticks(rows, names)
    ax.invert_yaxis()  # first name on top
    ax.set_xscale("log")
    ax.set_xlabel("time (seconds, log scale)")
    low = 10.0 ** math.floor(math.log10(seconds.min()) - 0.5)
    high = 10.0 ** math.ceil(math.log10(seconds.max()) + 0.8)
    ax.set_xlim(low, high)
    for row, value in zip(rows, seconds, strict=True):
        ax.text(value * 1.15, row, f"{value:.3g} s", va="center", fontsize=9)
    ax.grid(axis="x", which="major", alpha=0.3)
    return fig
