"""PDF checks for documents sent to signature: PDF only, readable, not encrypted, no active content.

The policy (ASVS 5.0 V5.1.1/V5.2.x, Clicksign's limits):
- at most 10 MiB per file and 100 MiB per request (Clicksign: 10 MB per file, 100 MB per
  envelope; the emulator counts MiB, so do we);
- the content decides, never the name or a Content-Type: it must start with ``%PDF-``, end with
  an ``%%EOF`` marker (a truncated upload does not), and parse with pypdf with at least one page;
- encrypted PDFs (user *or* owner password) are refused: Clicksign cannot stamp them;
- active content is refused: JavaScript anywhere (``/JS``, the ``/JavaScript`` name tree, actions
  of type ``/JavaScript`` reached from ``/OpenAction``, ``/AA`` or annotations, ``javascript:``
  URI links), actions that run or reach out of the document (``/Launch``, ``/GoToR`` and
  ``/GoToE`` to other files, ``/SubmitForm``, ``/ImportData``), rich media, XFA forms, and
  embedded files (``/EmbeddedFiles``, file-attachment annotations) — a signed academic document
  has no reason to carry any of them.

Reading a hostile PDF must not cost a web worker unbounded memory or time (a few hundred KB of
deflated object streams inflate to gigabytes). The budgets, all enforced while reading:
- pypdf's own limits (``pypdf.Configuration``) stop inflating any one stream past
  ``MAX_STREAM_INFLATED_BYTES``;
- object streams are counted before pypdf unpacks them: the objects they declare count against
  ``MAX_OBJECTS`` and their inflated bytes against ``MAX_FILE_INFLATED_BYTES``;
- the object graph is walked iteratively from the trailer (a deep or cyclic PDF cannot exhaust
  the stack) with caps on objects visited, direct-object nesting and elapsed time;
- on Linux the whole inspection runs in a forked child with an address-space ceiling
  (``CHILD_MEMORY_HEADROOM_BYTES``) and a wall-clock limit, so even a case the budgets above did not
  foresee costs the web worker nothing: the child dies, the upload is refused. A batch's PDFs
  (``pdf_inspect_many``) share one child, each file with its own budgets and time; a file the
  child dies on is refused and the files after it are judged in a fresh child.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import gc
import hashlib
import io
import json
import logging
import os
import re
import select
import signal
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from chancela.core.errors import DomainError

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
MAX_REQUEST_BYTES = 100 * 1024 * 1024
# Budgets of one inspection; real academic PDFs (scanned or generated) stay far below them.
MAX_OBJECTS = 100_000  # indirect objects declared, and objects visited by the walk
MAX_NESTING = 64  # arrays/dictionaries inside one another within one object
MAX_STREAM_INFLATED_BYTES = 8 * 1024 * 1024  # any one stream pypdf inflates
# All object streams of one file together. They hold only small dictionaries (a large document
# has well under 1 MB of them) and pypdf parses them at ~2 MB/s, so this also bounds the time.
MAX_FILE_INFLATED_BYTES = 16 * 1024 * 1024
MAX_SECONDS = 10.0
# The forked child may grow its address space this much over the parent's before it is killed.
CHILD_MEMORY_HEADROOM_BYTES = 256 * 1024 * 1024
# Inspect in a forked child where the platform has fork (Linux, the production target).
ISOLATE = True
# A child is killed when no verdict came this long after MAX_SECONDS (per file) ran out.
CHILD_GRACE_SECONDS = 5.0
# Many files (PdfInspection): children judging at once, files and bytes per child, and the
# bytes submitted that may wait for a verdict (held by the parent) before submit() waits.
INSPECT_CHILDREN = 2
INSPECT_CHUNK_FILES = 2500  # each fork costs the parent copy-on-write faults: few, large chunks
INSPECT_CHUNK_BYTES = 32 * 1024 * 1024
INSPECT_PENDING_BYTES = 64 * 1024 * 1024
PDF_MAGIC = b"%PDF-"
EOF_MARKER = b"%%EOF"
EOF_WINDOW = 8192

ACTIVE_ACTION_TYPES = {
    "/JavaScript": "javascript",
    "/Launch": "launch",
    "/GoToR": "remote_action",
    "/GoToE": "remote_action",
    "/SubmitForm": "remote_action",
    "/ImportData": "remote_action",
    "/RichMediaExecute": "active",
}
# URI schemes of a link action that run code instead of opening a page.
SCRIPT_URI = re.compile(r"^\s*(javascript|vbscript)\s*:", re.IGNORECASE)


class _OverBudget(Exception):
    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class PdfError(DomainError):
    """A file that is not an acceptable PDF for signature."""


@dataclass(frozen=True)
class PdfInfo:
    sha256: str
    size: int
    page_count: int


def human_size(size: int, *, decimals: int = 2) -> str:
    """ "9,5 MB", "10 MB", "10,01 MB" (binary megabytes, as Clicksign counts), "512 KB"."""
    if size >= 1024 * 1024:
        text = f"{size / (1024 * 1024):.{decimals}f}".rstrip("0").rstrip(".")
        return f"{text} MB".replace(".", ",")
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


def sizes_compared(size: int, limit: int) -> tuple[str, str]:
    """A size and a limit written so that the reader sees the difference: more decimals when
    the rounded figures would look equal, the exact bytes as a last resort."""
    for decimals in (2, 3):
        shown, allowed = human_size(size, decimals=decimals), human_size(limit, decimals=decimals)
        if shown != allowed:
            return shown, allowed
    return f"{size:,} bytes".replace(",", "."), f"{limit:,} bytes".replace(",", ".")


def display_filename(filename: str) -> str:
    """The name as the person chose it (path and control characters removed), for messages:
    a Word file stays "contrato.docx", never "contrato.docx.pdf"."""
    name = unicodedata.normalize("NFC", filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:150] or "documento"


# What a file that is not a PDF most likely is, by its extension, for the message.
_KNOWN_KINDS = {
    "doc": "um documento do Word",
    "docx": "um documento do Word",
    "odt": "um documento do LibreOffice",
    "rtf": "um documento de texto",
    "txt": "um arquivo de texto",
    "xls": "uma planilha",
    "xlsx": "uma planilha",
    "ods": "uma planilha",
    "jpg": "uma imagem",
    "jpeg": "uma imagem",
    "png": "uma imagem",
    "heic": "uma imagem",
    "zip": "um arquivo compactado",
}


_UNSAFE_FILENAME = re.compile(r"[^\w\-. ()\[\]]+", re.UNICODE)


def pdf_filename_clean(filename: str) -> str:
    """A safe display/upload name: no path, no control characters, ends in ``.pdf``.

    The name is metadata only (files are stored under server-generated names); Clicksign wants
    an extension it accepts, so ``.pdf`` is added when missing.
    """
    name = unicodedata.normalize("NFC", filename or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE_FILENAME.sub("_", name).strip(" ._")
    stem = name[:-4] if name.lower().endswith(".pdf") else name
    stem = stem.strip(" ._")[:150] or "documento"
    return f"{stem}.pdf"


def _error(code: str, message: str, field: str | None) -> PdfError:
    return PdfError(code, message, field)


def pdf_check_size(size: int, *, filename: str, field: str | None = None) -> None:
    if size == 0:
        raise _error("pdf_empty", f"O arquivo “{filename}” está vazio.", field)
    if size > MAX_DOCUMENT_BYTES:
        raise _error(
            "pdf_too_large",
            "O arquivo “{}” tem {}; o limite da Clicksign é {} por documento. Reduza o arquivo "
            "(por exemplo, diminuindo a resolução das imagens) e envie de novo.".format(
                filename, *sizes_compared(size, MAX_DOCUMENT_BYTES)
            ),
            field,
        )


def pdf_check_total(total: int, *, field: str | None = None) -> None:
    if total > MAX_REQUEST_BYTES:
        raise _error(
            "request_too_large",
            "Os documentos somam {}; o limite da Clicksign é {} por solicitação. Divida-os em "
            "mais de uma solicitação.".format(*sizes_compared(total, MAX_REQUEST_BYTES)),
            field,
        )


def _budget_configuration() -> Any:
    """pypdf's limits, tightened to what a signed document needs (applied while inflating)."""
    return _budget_configuration_for(MAX_DOCUMENT_BYTES, MAX_STREAM_INFLATED_BYTES, MAX_OBJECTS)


@functools.lru_cache(maxsize=4)
def _budget_configuration_for(document_bytes: int, stream_bytes: int, objects: int) -> Any:
    # Built once per set of budgets: building it cost ~5% of inspecting a one-page PDF.
    from pypdf import Configuration

    return Configuration().with_overwrites(
        maximum_declared_stream_length=document_bytes,
        array_based_stream_maximum_output_length=stream_bytes,
        array_maximum_element_count=objects,
        dictionary_maximum_element_count=objects,
        jbig2_maximum_output_length=stream_bytes,
        lzw_maximum_output_length=stream_bytes,
        run_length_maximum_output_length=stream_bytes,
        zlib_maximum_output_length=stream_bytes,
        zlib_maximum_recovery_input_length=1024 * 1024,
        brotli_maximum_output_length=stream_bytes,
        stream_decoding_work_maximum_length=2 * stream_bytes,
        image_maximum_buffer_size=stream_bytes,
        jbig2dec_binary=None,
        disable_legacy_handling=True,
    )


def _check_object_streams(reader: Any, deadline: float) -> None:
    """Count what the object streams hold before pypdf unpacks any object from them.

    Each object stream is inflated once here, under pypdf's per-stream limit, to add its size to
    the per-file budget; the decoded copy is dropped at once, so at most one is held at a time.
    """
    from pypdf.generic import EncodedStreamObject, IndirectObject, NumberObject, StreamObject

    declared = sum(len(entries) for entries in reader.xref.values()) + len(reader.xref_objStm)
    if declared > MAX_OBJECTS:
        raise _OverBudget("objects")
    inflated = 0
    objects = 0
    for stream_number in sorted({number for number, _index in reader.xref_objStm.values()}):
        if time.monotonic() > deadline:
            raise _OverBudget("time")
        stream = IndirectObject(stream_number, 0, reader).get_object()
        if not isinstance(stream, StreamObject) or not isinstance(
            count := stream.get("/N"), NumberObject
        ):
            continue  # pypdf reports the broken stream itself when an object in it is read
        objects += int(count)
        if objects > MAX_OBJECTS:
            raise _OverBudget("objects")
        inflated += len(stream.get_data())
        if isinstance(stream, EncodedStreamObject):
            stream.decoded_self = None  # pypdf inflates it again, one stream at a time
        if inflated > MAX_FILE_INFLATED_BYTES:
            raise _OverBudget("inflated")


def _active_content(reader: Any, deadline: float) -> str | None:
    """The first kind of active content found in the PDF, or None.

    Raises :class:`_OverBudget` past the object, nesting or time budget.
    """
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    # (object, nesting): nesting counts containers inside one object and restarts at each
    # indirect reference, so long chains of objects (outlines, page trees) are not "deep".
    stack: list[tuple[Any, int]] = [(reader.trailer, 0)]
    seen: set[tuple[int, int]] = set()
    visited = 0
    while stack:
        obj, nesting = stack.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            obj = obj.get_object()
            nesting = 0
        visited += 1
        if visited > MAX_OBJECTS:
            raise _OverBudget("objects")
        if nesting > MAX_NESTING:
            raise _OverBudget("nesting")
        if visited % 1000 == 0 and time.monotonic() > deadline:
            raise _OverBudget("time")
        if isinstance(obj, DictionaryObject):
            keys = set(obj.keys())
            if "/JS" in keys or "/JavaScript" in keys:
                return "javascript"
            if "/EmbeddedFiles" in keys or "/EmbeddedFile" in keys:
                return "embedded_file"
            if "/XFA" in keys:
                return "active"
            action = str(obj.get("/S", ""))
            kind = ACTIVE_ACTION_TYPES.get(action)
            if kind:
                return kind
            if action == "/URI" and SCRIPT_URI.match(_text(obj.get("/URI"))):
                return "javascript"
            subtype = str(obj.get("/Subtype", ""))
            if subtype == "/FileAttachment" or str(obj.get("/Type", "")) == "/EmbeddedFile":
                return "embedded_file"
            if subtype in ("/RichMedia", "/Movie", "/Sound", "/Screen"):
                return "active"
            stack.extend((value, nesting + 1) for value in obj.values())
        elif isinstance(obj, ArrayObject):
            stack.extend((value, nesting + 1) for value in obj)
    return None


def _text(value: Any) -> str:
    """A URI as text, whatever string type pypdf gave (control characters dropped)."""
    if value is None:
        return ""
    if hasattr(value, "get_object"):
        value = value.get_object()
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    return "".join(ch for ch in str(value) if ch >= " " or ch in "\t\n\r")


ACTIVE_CONTENT_MESSAGES = {
    "javascript": (
        "pdf_javascript",
        "O arquivo “{name}” contém JavaScript (código que roda ao abrir o documento), o que não "
        "é aceito. Gere o PDF de novo sem scripts — por exemplo, com “Imprimir como PDF”.",
    ),
    "launch": (
        "pdf_launch_action",
        "O arquivo “{name}” tenta abrir outros programas ou arquivos (ação “Launch”), o que não "
        "é aceito. Gere o PDF de novo, por exemplo com “Imprimir como PDF”.",
    ),
    "embedded_file": (
        "pdf_embedded_file",
        "O arquivo “{name}” traz outros arquivos anexados dentro do PDF, o que não é aceito. "
        "Envie cada documento como um PDF separado, sem anexos.",
    ),
    "active": (
        "pdf_active_content",
        "O arquivo “{name}” tem conteúdo dinâmico (formulário XFA, vídeo, som ou mídia "
        "interativa), o que não é aceito. Gere o PDF de novo, por exemplo com “Imprimir como PDF”.",
    ),
    "remote_action": (
        "pdf_remote_action",
        "O arquivo “{name}” tem links ou botões que abrem outros arquivos ou enviam dados para "
        "fora do documento (ações “GoToR”, “GoToE”, “SubmitForm” ou “ImportData”), o que não é "
        "aceito. Gere o PDF de novo sem esses links, por exemplo com “Imprimir como PDF”.",
    ),
}

OVER_BUDGET_REASONS = {
    "stream": "um de seus fluxos descompactados passa de {stream}",
    "inflated": "seu conteúdo descompactado passa de {file}",
    "objects": "tem mais de {objects} objetos",
    "nesting": "tem estruturas aninhadas em mais de {nesting} níveis",
    "time": "a verificação levaria mais de {seconds} segundos",
    "memory": "a verificação precisaria de memória demais",
}


def _over_budget_error(kind: str, filename: str, field: str | None) -> PdfError:
    reason = OVER_BUDGET_REASONS.get(kind, OVER_BUDGET_REASONS["memory"]).format(
        stream=human_size(MAX_STREAM_INFLATED_BYTES),
        file=human_size(MAX_FILE_INFLATED_BYTES),
        objects=f"{MAX_OBJECTS:,}".replace(",", "."),
        nesting=MAX_NESTING,
        seconds=f"{MAX_SECONDS:.0f}",
    )
    return _error(
        "pdf_too_complex",
        f"O arquivo “{filename}” não pode ser verificado: {reason}. Um documento comum não "
        "chega perto disso; gere o PDF de novo, por exemplo com “Imprimir como PDF”.",
        field,
    )


def _inspect_budgeted(data: bytes, deadline: float) -> tuple[str, str | int]:
    """Parse and walk the PDF within the budgets: ("ok", pages) or ("refused", kind)."""
    from pypdf import PdfReader
    from pypdf._configuration import CURRENT_CONFIGURATION
    from pypdf.errors import LimitReachedError

    # pypdf logs every oddity of a malformed file as a warning; the user gets our message.
    pypdf_logger = logging.getLogger("pypdf")
    previous_level = pypdf_logger.level
    pypdf_logger.setLevel(logging.ERROR)
    # pypdf's apply_configuration() copies the configuration on every use; set it as it is.
    token = CURRENT_CONFIGURATION.set(_budget_configuration())
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            return "refused", "encrypted"
        _check_object_streams(reader, deadline)
        page_count = len(reader.pages)
        active = _active_content(reader, deadline)
    except _OverBudget as over:
        return "refused", f"budget:{over.kind}"
    except LimitReachedError:
        return "refused", "budget:stream"
    except MemoryError:
        return "refused", "budget:memory"
    except RecursionError:
        return "refused", "budget:nesting"
    except Exception:  # pypdf raises many types for broken files
        return "refused", "unreadable"
    finally:
        CURRENT_CONFIGURATION.reset(token)
        pypdf_logger.setLevel(previous_level)
    if page_count < 1:
        return "refused", "no_pages"
    if active:
        return "refused", active
    return "ok", page_count


def _vm_size() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _cpu_limit_next(resource: Any) -> None:
    """Let the child spend at most MAX_SECONDS (+1) more CPU seconds, counted from now."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = int(usage.ru_utime + usage.ru_stime) + int(MAX_SECONDS) + 1
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _child_main(files: Sequence[bytes], write_end: int, ceiling: int) -> NoReturn:
    """The forked child: judge ``files`` in order, one JSON verdict line each; never returns.

    The address-space ceiling holds for the whole child, each file has its own budgets,
    deadline and CPU allowance. The objects inherited from the parent are frozen out of the
    garbage collector: a full collection would otherwise walk (and copy, page by page) the
    parent's whole heap, once per few hundred files.
    """
    import resource

    status = 0
    try:
        gc.freeze()
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
        for data in files:
            _cpu_limit_next(resource)
            answer = _inspect_budgeted(data, time.monotonic() + MAX_SECONDS)
            os.write(write_end, json.dumps(answer).encode() + b"\n")
    except BaseException:
        status = 1
    finally:
        os._exit(status)


@dataclass
class PdfVerdict:
    """The verdict on one file of a :class:`PdfInspection`, with what was submitted."""

    key: Any
    content: bytes
    filename: str
    result: PdfInfo | PdfError


@dataclass
class _Pending:
    key: Any
    content: bytes
    filename: str


class _Child:
    """One forked child judging a chunk of files; the parent reads its verdicts as they come."""

    def __init__(self, items: list[_Pending]) -> None:
        import pypdf  # noqa: F401 — imported before the fork so the child never takes an import lock

        self.items = items
        self.judged = 0
        self.buffer = b""
        ceiling = _vm_size() + CHILD_MEMORY_HEADROOM_BYTES
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns, never runs the parent's cleanup
            os.close(read_end)
            _child_main([item.content for item in items], write_end, ceiling)
        os.close(write_end)
        self.pid = pid
        self.fd = read_end
        self.limit = time.monotonic() + MAX_SECONDS + CHILD_GRACE_SECONDS

    def read(self) -> tuple[list[tuple[str, str | int]], bool]:
        """The verdicts that arrived (the fd is readable) and whether the child has finished."""
        chunk = os.read(self.fd, 65536)
        if not chunk:
            return [], True
        *lines, self.buffer = (self.buffer + chunk).split(b"\n")
        answers = []
        for line in lines:
            outcome, detail = json.loads(line)
            answers.append((outcome, detail))
        if answers:
            self.judged += len(answers)
            self.limit = time.monotonic() + MAX_SECONDS + CHILD_GRACE_SECONDS
        return answers, False

    def reap(self, *, kill: bool = False) -> None:
        if kill:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        os.close(self.fd)
        os.waitpid(self.pid, 0)


class PdfInspection:
    """Judge many files as :func:`pdf_inspect` judges one, in the background.

    ``submit`` files (a key of the caller's, the content, the name for messages) and take the
    verdicts with ``ready`` (never waits) while doing other work, then ``finish`` (waits for the
    rest). Each verdict carries the submitted key and content, so the caller can store an
    accepted file as soon as it is judged and keep nothing else.

    On Linux the files are parsed in forked children — up to ``INSPECT_CHILDREN`` at once, each
    taking a chunk of files (``INSPECT_CHUNK_FILES`` / ``INSPECT_CHUNK_BYTES``) — with the same
    budgets per file, memory ceiling and time kill as a single inspection. When a child dies on
    a file (memory ceiling, CPU limit, a crash) or is killed over time, that file is refused as
    a single inspection would refuse it and the files after it are judged in a fresh child, so
    one hostile file never leaves the others unjudged. At most ``INSPECT_PENDING_BYTES`` of
    submitted files wait for a verdict: ``submit`` waits for verdicts past that.
    Use it as a context manager (or call ``close``): leaving it kills the children still working.
    """

    def __init__(self, *, field: str | None = None) -> None:
        self.field = field
        self._isolate = _isolate()
        self._children_max = max(1, min(INSPECT_CHILDREN, os.cpu_count() or 1))
        self._queue: collections.deque[_Pending] = collections.deque()
        self._queued_bytes = 0
        self._pending_bytes = 0  # queued or in a child, not yet judged
        self._running: list[_Child] = []
        self._done: list[PdfVerdict] = []
        self._input_done = False

    def __enter__(self) -> PdfInspection:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def submit(self, key: Any, content: bytes, filename: str) -> None:
        try:
            _pdf_precheck(content, filename=filename, field=self.field)
        except PdfError as error:
            self._done.append(PdfVerdict(key, content, filename, error))
            return
        item = _Pending(key, content, filename)
        if not self._isolate:
            verdict = _inspect_budgeted(content, time.monotonic() + MAX_SECONDS)
            self._judged(item, *verdict)
            return
        self._queue.append(item)
        self._queued_bytes += len(content)
        self._pending_bytes += len(content)
        self._launch()
        while self._pending_bytes > INSPECT_PENDING_BYTES:
            self._wait(launch_partial=True)

    def input_done(self) -> None:
        """Nothing more will be submitted: start children on the files still queued."""
        self._input_done = True
        self._launch()

    def ready(self) -> list[PdfVerdict]:
        """The verdicts given since the last call (without waiting)."""
        if self._running:
            self._collect(timeout=0)
        self._launch()
        done, self._done = self._done, []
        return done

    def finish(self) -> list[PdfVerdict]:
        """Wait for every submitted file's verdict; return those not handed out yet."""
        self._input_done = True
        while self._queue or self._running:
            self._wait(launch_partial=True)
        done, self._done = self._done, []
        return done

    def close(self) -> None:
        """Kill and reap the children still judging (after an error; no-op once finished)."""
        for child in self._running:
            child.reap(kill=True)
        self._running.clear()
        self._queue.clear()

    # --- internals ---

    def _judged(self, item: _Pending, outcome: str, detail: str | int) -> None:
        result: PdfInfo | PdfError
        try:
            result = _verdict_result(
                item.content, outcome, detail, filename=item.filename, field=self.field
            )
        except PdfError as error:
            result = error
        self._done.append(PdfVerdict(item.key, item.content, item.filename, result))

    def _launch(self, *, partial: bool = False) -> None:
        """Start children on the queued files: full chunks; or, when ``partial`` (or once the
        input is done), whatever is queued, shared out evenly among the free children."""
        partial = partial or self._input_done
        while self._queue and len(self._running) < self._children_max:
            full = (
                len(self._queue) >= INSPECT_CHUNK_FILES or self._queued_bytes >= INSPECT_CHUNK_BYTES
            )
            if not (full or partial):
                return
            files = INSPECT_CHUNK_FILES
            if not full:
                files = -(-len(self._queue) // (self._children_max - len(self._running)))
            items: list[_Pending] = []
            size = 0
            while self._queue and len(items) < files:
                if items and size + len(self._queue[0].content) > INSPECT_CHUNK_BYTES:
                    break
                item = self._queue.popleft()
                items.append(item)
                size += len(item.content)
            self._queued_bytes -= size
            self._running.append(_Child(items))

    def _wait(self, *, launch_partial: bool) -> None:
        """Launch what can be launched, then wait until a child gives verdicts or must die."""
        self._launch(partial=launch_partial)
        if self._running:
            self._collect(timeout=max(0.0, min(c.limit for c in self._running) - time.monotonic()))

    def _collect(self, *, timeout: float) -> None:
        readable = select.select([c.fd for c in self._running], [], [], timeout)[0]
        now = time.monotonic()
        for child in list(self._running):
            if child.fd in readable:
                start = child.judged
                answers, finished = child.read()
                for item, answer in zip(child.items[start:], answers, strict=False):
                    self._judged(item, *answer)
                    self._pending_bytes -= len(item.content)
                if finished:
                    # Died before judging them all: memory ceiling, CPU limit, a crash.
                    self._child_gone(child, "budget:memory", kill=False)
            elif now >= child.limit:
                self._child_gone(child, "budget:time", kill=True)

    def _child_gone(self, child: _Child, reason: str, *, kill: bool) -> None:
        child.reap(kill=kill)
        self._running.remove(child)
        left = child.items[child.judged :]
        if left:  # the file it was on is refused; the ones after it go to a fresh child
            self._judged(left[0], "refused", reason)
            self._pending_bytes -= len(left[0].content)
            self._queue.extendleft(reversed(left[1:]))
            self._queued_bytes += sum(len(item.content) for item in left[1:])


def _isolate() -> bool:
    return ISOLATE and hasattr(os, "fork") and os.path.exists("/proc/self/statm")  # Linux


def _pdf_precheck(data: bytes, *, filename: str, field: str | None) -> None:
    """The checks that need no parsing: size, the PDF magic bytes, the %%EOF marker."""
    pdf_check_size(len(data), filename=filename, field=field)
    if not data.startswith(PDF_MAGIC):
        extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
        kind = _KNOWN_KINDS.get(extension)
        raise _error(
            "pdf_not_pdf",
            f"O arquivo “{filename}” não é um PDF"
            + (f": é {kind}" if kind else "")
            + ". Salve ou exporte o documento como PDF e envie de novo.",
            field,
        )
    if EOF_MARKER not in data[-EOF_WINDOW:]:
        raise _error(
            "pdf_truncated",
            f"O arquivo “{filename}” parece incompleto (o PDF não termina com %%EOF). "
            "Baixe ou gere o arquivo de novo.",
            field,
        )


def _verdict_result(
    data: bytes, outcome: str, detail: str | int, *, filename: str, field: str | None
) -> PdfInfo:
    """The :class:`PdfInfo` of an accepted file; raises the :class:`PdfError` of a refused one."""
    if outcome == "ok":
        return PdfInfo(
            sha256=hashlib.sha256(data).hexdigest(), size=len(data), page_count=int(detail)
        )
    kind = str(detail)
    if kind.startswith("budget:"):
        raise _over_budget_error(kind.removeprefix("budget:"), filename, field)
    if kind == "encrypted":
        raise _error(
            "pdf_encrypted",
            f"O arquivo “{filename}” está protegido por senha ou criptografado. Envie uma "
            "versão sem proteção (sem senha de abertura nem restrições de edição).",
            field,
        )
    if kind == "no_pages":
        raise _error("pdf_no_pages", f"O arquivo “{filename}” não tem páginas.", field)
    if kind in ACTIVE_CONTENT_MESSAGES:
        code, message = ACTIVE_CONTENT_MESSAGES[kind]
        raise _error(code, message.format(name=filename), field)
    raise _error(
        "pdf_unreadable",
        f"O arquivo “{filename}” está corrompido ou não pôde ser lido como PDF. Gere o "
        "arquivo de novo.",
        field,
    )


def pdf_inspect(data: bytes, *, filename: str, field: str | None = None) -> PdfInfo:
    """Check one file against the policy above; return its SHA-256, size and page count.

    Raises :class:`PdfError` (code, Portuguese message naming the file, ``field``) otherwise.
    """
    with PdfInspection(field=field) as inspection:
        inspection.submit(0, data, filename)
        (verdict,) = inspection.finish()
    if isinstance(verdict.result, PdfError):
        raise verdict.result
    return verdict.result


def pdf_inspect_many(
    files: Sequence[tuple[bytes, str]], *, field: str | None = None
) -> list[PdfInfo | PdfError]:
    """Check many files (``(content, filename)`` pairs) as :func:`pdf_inspect` checks one.

    One verdict per file, in order: its :class:`PdfInfo`, or the :class:`PdfError` that
    :func:`pdf_inspect` would raise (see :class:`PdfInspection`, which this waits for).
    """
    results: list[PdfInfo | PdfError | None] = [None] * len(files)
    with PdfInspection(field=field) as inspection:
        for index, (data, filename) in enumerate(files):
            inspection.submit(index, data, filename)
        for verdict in inspection.finish():
            results[verdict.key] = verdict.result
    return [result for result in results if result is not None]
