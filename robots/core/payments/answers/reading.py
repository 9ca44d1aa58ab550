"""Tell an answer file's kind by what it holds, and read it.

Why not by name: answers arrive from the bank's and the data supplier's systems under
names we do not choose, and a misnamed file read as the wrong kind would be misread.
The XML root's namespace says which ISO message and version it is; the NKS format is
known by its header. Anything else is refused.
"""

from __future__ import annotations

from pathlib import Path

from robots.core.payments.answers.camt054 import NAMESPACES as CAMT054_NAMESPACES
from robots.core.payments.answers.camt054 import read_camt054
from robots.core.payments.answers.nks import COLUMNS as NKS_COLUMNS
from robots.core.payments.answers.nks import is_nks_header, read_nks
from robots.core.payments.answers.pain002 import NAMESPACES as PAIN002_NAMESPACES
from robots.core.payments.answers.pain002 import read_pain002
from robots.core.payments.answers.rows import AnswerError, AnswerFile, root_namespace

_HEAD_BYTES = 4096  # enough for an XML declaration and comments, or the CSV header
_BOM = b"\xef\xbb\xbf"


def read_answer_file(path: Path) -> AnswerFile:
    """Read a pain.002, camt.054 or NKS answer, whichever the file holds.

    Args:
        path: The file.

    Returns:
        The answer, read by its reader.

    Raises:
        AnswerError: The file is none of the three, or its reader refuses it.
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(_HEAD_BYTES)
    except OSError as exc:
        raise AnswerError(path, f"cannot be read ({exc})") from exc
    head = head.removeprefix(_BOM).lstrip()
    if head.startswith(b"<"):
        namespace, line = root_namespace(path)
        if namespace in PAIN002_NAMESPACES:
            return read_pain002(path)
        if namespace in CAMT054_NAMESPACES:
            return read_camt054(path)
        known = sorted(n.rsplit(":", 1)[-1] for n in {**PAIN002_NAMESPACES, **CAMT054_NAMESPACES})
        raise AnswerError(
            path,
            f"unknown namespace {namespace or '(none)'!r}: not an answer the robots read "
            f"({', '.join(known)})",
            line=line,
        )
    first_line = head.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    if is_nks_header(first_line):
        return read_nks(path)
    raise AnswerError(
        path,
        "is neither an ISO 20022 answer (pain.002, camt.054 XML) nor an NKS answer "
        f"(CSV with the header {';'.join(NKS_COLUMNS)})",
        line=1,
    )
