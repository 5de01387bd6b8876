"""Skeletons: the outline of an answer that a released notebook shows in place of the solution.

A solution region of a graded code cell may open with a skeleton: the loop headers or the
order of the layers, with ``None`` where the student's code goes and an approximate line
count in a comment. In the source it is a block of comment lines, each line commented out
with ``# `` (a lone ``#`` stands for an empty line), between two markers::

    ### BEGIN SOLUTION
    ### BEGIN SKELETON
    # # About 20 lines: replace every None.
    # for i in range(None):        # each example
    #     a_prev_pad = None
    ### END SKELETON
    <the solution>
    ### END SOLUTION

The course's :class:`ClearSolutions` (it replaces nbgrader's in
``GenerateAssignment.preprocessors``, nbgrader_config.py) releases such a region as the
course's code stub, whose ``raise NotImplementedError()`` line gets a note asking to delete
it, followed by the skeleton, uncommented. The raise comes first, so a blank release still
fails every test as "not implemented". A region without a skeleton becomes the code stub,
as with nbgrader's own preprocessor.

Everything is plain text handling: the source solution keeps the skeleton as comments (it
runs and grades as before) and :func:`strip_skeletons` removes them where a submission is
made from the source.
"""

from __future__ import annotations

import re

from nbgrader.preprocessors import ClearSolutions as NbgraderClearSolutions
from traitlets import Unicode

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_SKELETON = "### BEGIN SKELETON"
END_SKELETON = "### END SKELETON"
CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
RAISE = "raise NotImplementedError()"
RAISE_NOTE = "  # delete this line, then replace every None below"

_SKELETON_BLOCK = re.compile(
    r"^[ \t]*### BEGIN SKELETON[ \t]*\n.*?^[ \t]*### END SKELETON[ \t]*\n?", re.M | re.S)


class SkeletonError(ValueError):
    """A solution region or a skeleton that is not written as described in this module."""


def _uncomment(line: str, indent: str) -> str:
    """A skeleton line of the source as the student sees it: without its ``# `` at ``indent``."""
    if line.strip() == "#":
        return ""
    if not line.startswith(indent + "# "):
        raise SkeletonError(
            f"skeleton line {line!r} must be commented out with '# ' at the region's indentation")
    return indent + line[len(indent) + 2:]


def _indent(line: str) -> str:
    return re.match(r"[ \t]*", line).group(0)


def release_source(source: str, code_stub: str = CODE_STUB, raise_note: str = RAISE_NOTE,
                   begin: str = BEGIN_SOLUTION, end: str = END_SOLUTION) -> tuple[str, bool]:
    """(the released source of a code cell, whether it held a solution region).

    Each region becomes ``code_stub`` at the region's indentation; a region that opens with
    a skeleton becomes the stub (its raise line followed by ``raise_note``) and then the
    skeleton, uncommented. Raises :class:`SkeletonError` on a nested or unterminated region,
    a skeleton that is not the first thing in its region, or a line not commented out.
    """
    out: list[str] = []
    replaced = False
    region: list[str] | None = None
    indent = ""
    for line in source.split("\n"):
        if begin in line:
            if region is not None:
                raise SkeletonError(f"nested {begin!r} in:\n{source}")
            region, indent, replaced = [], _indent(line), True
        elif end in line:
            if region is None:
                raise SkeletonError(f"{end!r} without {begin!r} in:\n{source}")
            out += _released_region(region, indent, code_stub, raise_note)
            region = None
        elif region is not None:
            region.append(line)
        else:
            out.append(line)
    if region is not None:
        raise SkeletonError(f"no {end!r} in:\n{source}")
    return "\n".join(out), replaced


def _released_region(region: list[str], indent: str, code_stub: str, raise_note: str) -> list[str]:
    skeleton = _skeleton_lines(region, indent)
    stub = code_stub.split("\n")
    if skeleton is None:
        return [indent + line for line in stub]
    if not any(RAISE in line for line in stub):
        raise SkeletonError(
            f"the code stub {code_stub!r} has no {RAISE!r} line to keep the skeleton unreachable")
    stub = [line + raise_note if RAISE in line else line for line in stub]
    return [indent + line for line in stub] + skeleton


def _skeleton_lines(region: list[str], indent: str) -> list[str] | None:
    """The uncommented skeleton that opens a region (None if it has none)."""
    starts = [i for i, line in enumerate(region) if BEGIN_SKELETON in line]
    ends = [i for i, line in enumerate(region) if END_SKELETON in line]
    if not starts and not ends:
        return None
    if len(starts) != 1 or len(ends) != 1 or starts[0] != 0 or ends[0] < starts[0]:
        raise SkeletonError(f"a region holds one skeleton, first, between {BEGIN_SKELETON!r} and "
                            f"{END_SKELETON!r}:\n" + "\n".join(region))
    return [_uncomment(line, indent) for line in region[1:ends[0]]]


def skeleton_of(source: str) -> str | None:
    """The skeleton of a code cell's source as it is released (uncommented), or None."""
    lines = source.split("\n")
    for number, line in enumerate(lines):
        if BEGIN_SOLUTION in line:
            rest = lines[number + 1:]
            region = rest[:next((i for i, x in enumerate(rest) if END_SOLUTION in x), len(rest))]
            skeleton = _skeleton_lines(region, _indent(line))
            if skeleton is not None:
                return "\n".join(skeleton)
    return None


def strip_skeletons(source: str) -> str:
    """The source without its skeleton blocks (markers included): the solution alone."""
    return _SKELETON_BLOCK.sub("", source)


class ClearSolutions(NbgraderClearSolutions):
    """nbgrader's ClearSolutions that releases a solution region's skeleton below the code stub.

    Configured as ``ClearSolutions`` is (``code_stub``, ``text_stub``, the delimiters):
    traitlets applies a parent class's configuration to its subclasses.
    """

    raise_note = Unicode(
        RAISE_NOTE, help="Appended to the stub's raise line when a skeleton follows it"
    ).tag(config=True)

    def _replace_solution_region(self, cell, language: str) -> bool:
        if cell.cell_type != "code":
            return super()._replace_solution_region(cell, language)
        try:
            cell.source, replaced = release_source(
                cell.source, self.code_stub[language], self.raise_note,
                self.begin_solution_delimeter, self.end_solution_delimeter)
        except SkeletonError:
            self.log.error("Malformed solution region or skeleton in:\n%s", cell.source)
            raise
        return replaced
