"""Mutants: wrong variants of the source solutions that the checks must catch.

A mutant edits the text of one graded cell of the source notebook (each edit
must match exactly once, so a mutant cannot silently stop applying when the
solution changes) and names the test cells it must fail: its own function's
tests, plus the tests of the functions that call it. ``kill_report`` grades
every mutant at function level and compares.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from cnn_course.utils.notebooks import build_notebook, nbgrader_meta, source_path


@dataclass(frozen=True)
class Mutant:
    name: str
    assignment_id: str
    grade_id: str  # the graded cell to edit
    description: str
    edits: tuple[tuple[str, str], ...]  # (old, new) text replacements, each matching once
    fails: frozenset[str]  # test grade_ids that must fail


def _m(name, grade_id, description, edits, fails, assignment_id="w1a1_conv_step_by_step"):
    return Mutant(name, assignment_id, grade_id, description, tuple(edits), frozenset(f"{t}_tests" for t in fails))


_PAD = "((0, 0), (pad, pad), (pad, pad), (0, 0))"
_STRIDE = (("vert_start = h * stride", "vert_start = h"), ("horiz_start = w * stride", "horiz_start = w"))

MUTANTS: tuple[Mutant, ...] = (
    # zero_pad is used by conv_forward and conv_backward, so their tests fail too.
    _m("zero_pad_pads_channels", "zero_pad", "pads the channel axis as well",
       [(_PAD, "((0, 0), (pad, pad), (pad, pad), (pad, pad))")], ["zero_pad", "conv_forward", "conv_backward"]),
    _m("zero_pad_one_side", "zero_pad", "puts all 2 * pad zeros before the image",
       [(_PAD, "((0, 0), (2 * pad, 0), (2 * pad, 0), (0, 0))")], ["zero_pad", "conv_forward", "conv_backward"]),
    # conv_single_step is used by conv_forward only.
    _m("single_step_no_bias", "conv_single_step", "forgets the bias",
       [("Z = Z + b.item()", "Z = Z")], ["conv_single_step", "conv_forward"]),
    _m("single_step_mean", "conv_single_step", "averages instead of summing",
       [("Z = np.sum(s)", "Z = np.mean(s)")], ["conv_single_step", "conv_forward"]),
    _m("conv_forward_stride_ignored", "conv_forward", "moves the window one pixel at a time whatever the stride",
       _STRIDE, ["conv_forward"]),
    _m("conv_forward_bias_once", "conv_forward", "adds the bias once per image instead of at every position",
       [("Z[i, h, w, c] = conv_single_step(a_slice_prev, W[:, :, :, c], b[:, :, :, c])",
         "Z[i, h, w, c] = np.sum(a_slice_prev * W[:, :, :, c]) + (b[0, 0, 0, c] if h == w == 0 else 0)")],
       ["conv_forward"]),
    _m("conv_forward_no_plus_one", "conv_forward", "drops the +1 of the output-size formula",
       [("n_H = (n_H_prev - f + 2 * pad) // stride + 1", "n_H = (n_H_prev - f + 2 * pad) // stride"),
        ("n_W = (n_W_prev - f + 2 * pad) // stride + 1", "n_W = (n_W_prev - f + 2 * pad) // stride")],
       ["conv_forward"]),
    _m("conv_forward_pad_once", "conv_forward", "counts the padding on one side only",
       [("n_H = (n_H_prev - f + 2 * pad)", "n_H = (n_H_prev - f + pad)"),
        ("n_W = (n_W_prev - f + 2 * pad)", "n_W = (n_W_prev - f + pad)")], ["conv_forward"]),
    _m("pool_average_uses_max", "pool_forward", "average pooling takes the max",
       [("A[i, h, w, c] = np.mean(a_prev_slice)", "A[i, h, w, c] = np.max(a_prev_slice)")], ["pool_forward"]),
    _m("pool_forward_stride_ignored", "pool_forward", "ignores the stride", _STRIDE, ["pool_forward"]),
    _m("conv_backward_padding_not_stripped", "conv_backward",
       "strips the padding from the wrong side of dA_prev",
       [("da_prev_pad[pad:pad + n_H_prev, pad:pad + n_W_prev, :]", "da_prev_pad[:n_H_prev, :n_W_prev, :]")],
       ["conv_backward"]),
    _m("conv_backward_dW_uses_W", "conv_backward", "multiplies dZ by W instead of the input slice for dW",
       [("dW[:, :, :, c] += a_slice * dZ[i, h, w, c]", "dW[:, :, :, c] += W[:, :, :, c] * dZ[i, h, w, c]")],
       ["conv_backward"]),
    _m("conv_backward_db_overwritten", "conv_backward", "overwrites db instead of accumulating it",
       [("db[:, :, :, c] += dZ[i, h, w, c]", "db[:, :, :, c] = dZ[i, h, w, c]")], ["conv_backward"]),
    _m("conv_backward_stride_ignored", "conv_backward", "ignores the stride", _STRIDE, ["conv_backward"]),
    # create_mask_from_window is used by pool_backward's max mode.
    _m("mask_of_min", "create_mask_from_window", "marks the minimum",
       [("mask = x == np.max(x)", "mask = x == np.min(x)")], ["create_mask_from_window", "pool_backward"]),
    # Differs only on ties; pool_backward's checks use tie-free inputs, so only its own test fails.
    _m("mask_first_max_only", "create_mask_from_window", "marks only the first maximum when there are ties",
       [("mask = x == np.max(x)", "mask = np.arange(x.size).reshape(x.shape) == np.argmax(x)")],
       ["create_mask_from_window"]),
    # distribute_value is used by pool_backward's average mode.
    _m("distribute_not_averaged", "distribute_value", "copies dz to every position instead of dz / (n_H * n_W)",
       [("average = dz / (n_H * n_W)", "average = dz")], ["distribute_value", "pool_backward"]),
    _m("distribute_by_height", "distribute_value", "divides by n_H only",
       [("average = dz / (n_H * n_W)", "average = dz / n_H")], ["distribute_value", "pool_backward"]),
    _m("pool_backward_mask_unscaled", "pool_backward", "adds the mask without multiplying by dA",
       [("+= mask * dA[i, h, w, c]", "+= mask")], ["pool_backward"]),
    _m("pool_backward_overwrites", "pool_backward", "overwrites overlapping windows instead of adding",
       [("+= distribute_value(da, (f, f))", "= distribute_value(da, (f, f))")], ["pool_backward"]),
    _m("pool_backward_stride_ignored", "pool_backward", "ignores the stride", _STRIDE, ["pool_backward"]),
)


def mutants(assignment_id: str | None = None) -> list[Mutant]:
    return [m for m in MUTANTS if assignment_id in (None, m.assignment_id)]


def by_name(name: str) -> Mutant:
    for mutant in MUTANTS:
        if mutant.name == name:
            return mutant
    raise KeyError(f"no mutant named {name!r}; known: {', '.join(m.name for m in MUTANTS)}")


def apply(mutant: Mutant, nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of the notebook with the mutant's edits applied to its graded cell."""
    nb = nbformat.from_dict(nb)
    cells = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") == mutant.grade_id]
    if len(cells) != 1:
        raise ValueError(f"mutant {mutant.name}: no single cell with grade_id {mutant.grade_id!r}")
    cell = cells[0]
    for old, new in mutant.edits:
        count = cell.source.count(old)
        if count != 1:
            raise ValueError(f"mutant {mutant.name}: {old!r} occurs {count} times in {mutant.grade_id}, expected once")
        cell.source = cell.source.replace(old, new)
    return nb


def write_notebook(mutant: Mutant, destination: Path) -> Path:
    """The built source notebook with the mutant applied, as .ipynb at destination."""
    with tempfile.TemporaryDirectory() as tmp:
        built = build_notebook(source_path(mutant.assignment_id), Path(tmp) / "source.ipynb")
        nb = apply(mutant, nbformat.read(built, as_version=4))
    destination.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, destination)
    return destination
