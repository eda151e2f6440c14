"""Request bodies of ``/api/v1`` read as they arrive; documents decoded while the JSON is scanned.

A body carries PDFs as base64 strings inside JSON (up to ~142 MB). Neither ``json`` nor the
streaming libraries on PyPI can hand out one JSON string in pieces (ijson and json-stream's Rust
tokenizer build every string whole; json-stream's pure-Python tokenizer spends seconds per MB),
so this module has its own small scanner (see ``docs/architecture.md``):

1. ``body_spool`` copies the body from the WSGI input into a spooled temporary file in chunks,
   counting bytes as they arrive: past the limit it stops reading (413), whether the body came
   with a Content-Length (a lying one included: only what arrives counts) or chunked without one.
   It checks the UTF-8 on the way.
2. ``body_scan`` walks that file once. Every JSON string under a ``content_base64`` key is
   streamed through a base64 decoder into its own temporary file (at most the per-document limit
   plus a few bytes are kept; the rest is only counted) and replaced, in a small copy of the JSON
   (the "skeleton"), by a reference that ``json.loads`` reads as a short string. Everything else
   is copied as it is, so ``json.loads`` of the skeleton finds every other JSON error, whose
   position is mapped back to the line and column of the body as sent.

The reference is a string that passes the schema's ``BASE64_PDF`` pattern exactly when the
original string does (and is not a valid string at all when the original held a lone surrogate),
so pydantic answers with the same error codes and fields as before; ``documents_for`` gives the
handlers the decoded documents behind the references.
"""

from __future__ import annotations

import binascii
import codecs
import json
import re
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings

CHUNK_BYTES = 64 * 1024
# A body up to this size stays in memory; larger ones go to a temporary file.
SPOOL_IN_MEMORY_BYTES = 1024 * 1024
# The JSON around the documents (names, e-mails, rows of a batch) may take this much.
MAX_SKELETON_BYTES = 8 * 1024 * 1024
# More base64 strings than this in one body is not a request the API can take (20 documents per
# request, 500 rows per batch); refused before opening a temporary file per string.
MAX_DOCUMENTS_PER_BODY = 1000
DOCUMENT_KEY = "content_base64"

_JSON_WS = b" \t\n\r"
_B64_ASCII = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
# Unicode White_Space: what the schema pattern's ``\s`` matches (pydantic's Rust regex).
_WHITE_SPACE = frozenset(
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
)
_ASCII_WS = bytes(ord(c) for c in _WHITE_SPACE if ord(c) < 0x80)
_ESCAPES = {
    ord('"'): '"',
    ord("\\"): "\\",
    ord("/"): "/",
    ord("b"): "\b",
    ord("f"): "\f",
    ord("n"): "\n",
    ord("r"): "\r",
    ord("t"): "\t",
}
_HEX = frozenset(b"0123456789abcdefABCDEF")
_STRING_SPECIAL = re.compile(rb'["\\\x00-\x1f]')
_SKELETON_STRING_SPECIAL = re.compile(rb'["\\]')
_QUOTE = re.compile(rb'"')


class BodyTooLarge(Exception):
    """The body (or the JSON around its documents) passed its limit."""


class MalformedBody(Exception):
    """Not UTF-8 (``line`` is None) or not JSON (``line``/``column`` as ``json`` counts them)."""

    def __init__(self, line: int | None = None, column: int | None = None) -> None:
        super().__init__(line, column)
        self.line = line
        self.column = column


def _temporary_file() -> IO[bytes]:
    return tempfile.TemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR)  # noqa: SIM115


@dataclass
class SpooledBody:
    file: IO[bytes]
    size: int
    utf8: bool

    def close(self) -> None:
        self.file.close()


def body_spool(read: Callable[[int], bytes], *, limit: int) -> SpooledBody:
    """Copy a body into a spooled temporary file chunk by chunk, refusing it past ``limit``.

    Reads at most ``limit`` plus one chunk: raises :class:`BodyTooLarge` as soon as more than
    ``limit`` bytes have arrived, without reading the rest.
    """
    spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - closed by the caller
        max_size=SPOOL_IN_MEMORY_BYTES, dir=settings.FILE_UPLOAD_TEMP_DIR
    )
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    size = 0
    try:
        while chunk := read(CHUNK_BYTES):
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
            spool.write(chunk)
        if utf8:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8 = False
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return SpooledBody(spool, size, utf8)


@dataclass
class DecodedDocument:
    """One ``content_base64`` string, as the schema pattern and the base64 decoder saw it.

    ``size`` is the decoded size the string announces (base64 characters x 3/4, less padding),
    known even when only the first ``limit`` bytes were kept; ``file`` holds the decoded bytes
    unless the string was over the limit, not base64 or did not match the pattern.
    """

    pattern_ok: bool = True
    lone_surrogate: bool = False
    base64_ok: bool = True
    size: int = 0
    over_limit: bool = False
    file: IO[bytes] | None = None

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


class _Base64Sink:
    """Receives the characters of one JSON string, in pieces, and decodes it as base64.

    Mirrors what ``DocumentIn``'s pattern (``^(data:[^,]*;base64,)?[A-Za-z0-9+/=\\s]+$``) and
    ``base64.b64decode(..., validate=True)`` of the string without its data-URI prefix and
    whitespace would say, without ever holding the string.
    """

    def __init__(self, *, limit: int, decode_bytes: int = CHUNK_BYTES) -> None:
        self.limit = limit
        self.decode_bytes = decode_bytes
        self.document = DecodedDocument()
        self.mode = "start"  # start -> prefix (a data: URI) or body
        self.head = ""
        self.prefix_tail = ""
        self.body_chars = 0
        self.count = 0
        self.last2 = b""
        self.pending = bytearray()
        self.written = 0
        self.file: IO[bytes] | None = _temporary_file()

    # --- input ------------------------------------------------------------------------
    def text(self, text: str) -> None:
        if not text:
            return
        if self.mode == "start":
            self.head += text
            if len(self.head) < 5:
                return
            text, self.head = self.head, ""
            if text.startswith("data:"):
                self.mode = "prefix"
                text = text[5:]
            else:
                self.mode = "body"
        if self.mode == "prefix":
            comma = text.find(",")
            if comma < 0:
                self.prefix_tail = (self.prefix_tail + text)[-7:]
                return
            if not (self.prefix_tail + text[:comma]).endswith(";base64"):
                self._pattern_failed()
            self.mode = "body"
            text = text[comma + 1 :]
        if not text or not self.document.pattern_ok:
            return
        self.body_chars += len(text)
        if text.isascii():
            self._ascii(text.encode("ascii"))
            return
        kept = "".join(ch for ch in text if ch not in _WHITE_SPACE)
        if not kept.isascii():
            self._pattern_failed()
            return
        self._ascii(kept.encode("ascii"))

    def ascii(self, raw: bytes) -> None:
        """Plain ASCII characters (the common case): no str is built."""
        if self.mode != "body" or not self.document.pattern_ok:
            self.text(raw.decode("ascii"))
            return
        self.body_chars += len(raw)
        self._ascii(raw)

    def surrogate(self, text: str) -> None:
        self.document.lone_surrogate = True
        self.text(text)

    # --- base64 -------------------------------------------------------------------------
    def _pattern_failed(self) -> None:
        self.document.pattern_ok = False
        self._drop()

    def _ascii(self, raw: bytes) -> None:
        if raw.translate(None, _B64_ASCII + _ASCII_WS):
            self._pattern_failed()
            return
        chars = raw.translate(None, _ASCII_WS)
        if not chars:
            return
        self.count += len(chars)
        self.last2 = (self.last2 + chars)[-2:]
        if self.file is None:
            return
        if self.count * 3 // 4 - 2 > self.limit:  # over whatever padding may still come
            self.document.over_limit = True
            self._drop()
            return
        self.pending += chars
        if len(self.pending) >= self.decode_bytes + 8:
            # Decode whole quartets, keeping the last (it may carry the padding) for later.
            cut = len(self.pending) - len(self.pending) % 4 - 4
            part = bytes(self.pending[:cut])
            del self.pending[:cut]
            if b"=" in part:  # padding followed by more data
                self.document.base64_ok = False
                self._drop()
                return
            self._write(binascii.a2b_base64(part, strict_mode=True))

    def _write(self, data: bytes) -> None:
        assert self.file is not None
        self.file.write(data)
        self.written += len(data)

    def discard(self) -> None:
        self._drop()

    def _drop(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None
        self.pending = bytearray()

    def finish(self) -> DecodedDocument:
        if self.mode == "start":  # fewer than five characters: no data URI
            head, self.head = self.head, ""
            self.mode = "body"
            self.text(head)
        if self.mode == "prefix" or self.body_chars == 0:
            self._pattern_failed()
        document = self.document
        document.size = self.count * 3 // 4 - self.last2.count(b"=")
        if document.size > self.limit:
            document.over_limit = True
            self._drop()
        if self.file is not None:
            try:
                self._write(binascii.a2b_base64(bytes(self.pending), strict_mode=True))
            except binascii.Error:
                document.base64_ok = False
                self._drop()
        if self.file is not None:
            self.file.seek(0)
            document.file = self.file
        return document


@dataclass
class ScannedBody:
    data: Any
    documents: dict[str, DecodedDocument] = field(default_factory=dict)

    def close(self) -> None:
        for document in self.documents.values():
            document.close()


class _JsonError(Exception):
    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset  # byte offset in the body


class _Cursor:
    """A window over a binary file, refilled chunk by chunk; ``offset`` is absolute."""

    def __init__(self, file: IO[bytes], chunk: int) -> None:
        self.file = file
        self.chunk = chunk
        self.buf = b""
        self.pos = 0
        self.base = 0

    @property
    def offset(self) -> int:
        return self.base + self.pos

    def fill(self) -> bool:
        """Append the next chunk (dropping what was consumed); False at the end of the file."""
        more = self.file.read(self.chunk)
        if not more:
            return False
        self.base += self.pos
        self.buf = self.buf[self.pos :] + more
        self.pos = 0
        return True

    def need(self, count: int) -> bool:
        """At least ``count`` bytes from ``pos`` are in the buffer (False: the file ends)."""
        while len(self.buf) - self.pos < count:
            if not self.fill():
                return False
        return True


class _Scanner:
    def __init__(self, file: IO[bytes], *, limit: int, chunk: int, decode_bytes: int) -> None:
        self.cursor = _Cursor(file, chunk)
        self.limit = limit
        self.decode_bytes = decode_bytes
        self.nonce = secrets.token_hex(8)
        self.skeleton: list[bytes] = []
        self.skeleton_size = 0
        # (skeleton offset, skeleton length, body offset, body length) of each replacement
        self.replacements: list[tuple[int, int, int, int]] = []
        self.documents: dict[str, DecodedDocument] = {}
        self.string_start = 0  # body offset of the document string being decoded
        self.parsed: Any = None

    def _emit(self, data: bytes) -> None:
        self.skeleton_size += len(data)
        if self.skeleton_size > MAX_SKELETON_BYTES:
            raise BodyTooLarge
        self.skeleton.append(data)

    # --- the walk -----------------------------------------------------------------------
    def run(self) -> None:
        cursor = self.cursor
        key_candidate = False  # the last string closed was "content_base64"
        gap = b""  # what stood between it and here, JSON whitespace left out
        while True:
            match = _QUOTE.search(cursor.buf, cursor.pos)
            end = match.start() if match else len(cursor.buf)
            piece = cursor.buf[cursor.pos : end]
            if piece:
                self._emit(piece)
                if key_candidate:
                    gap = (gap + piece.translate(None, _JSON_WS))[:2]
            cursor.pos = end
            if match is None:
                if not cursor.fill():
                    return
                continue
            if key_candidate and gap == b":":
                self._document()
                key_candidate = False
                continue
            key_candidate = self._plain_string()
            gap = b""

    def _plain_string(self) -> bool:
        """Copy a string as it is; True when it is the key ``content_base64``."""
        cursor = self.cursor
        raw = bytearray()
        cursor.pos += 1
        self._emit(b'"')
        while True:
            match = _SKELETON_STRING_SPECIAL.search(cursor.buf, cursor.pos)
            if match is None:
                piece = cursor.buf[cursor.pos :]
                cursor.pos = len(cursor.buf)
                self._emit(piece)
                if len(raw) <= 100:
                    raw += piece[:101]
                if not cursor.fill():
                    return False  # unterminated: json.loads of the skeleton says where
                continue
            length = match.start() - cursor.pos + 1
            closing = cursor.buf[match.start()] == ord('"')
            if not closing:  # a backslash: the escaped character goes with it
                if not cursor.need(length + 1):
                    length = len(cursor.buf) - cursor.pos
                else:
                    length += 1
            piece = cursor.buf[cursor.pos : cursor.pos + length]
            cursor.pos += length
            self._emit(piece)
            if len(raw) <= 100:
                raw += piece[:101]
            if closing:
                break
            if cursor.pos >= len(cursor.buf) and not cursor.need(1):
                return False
        if len(raw) > 100:
            return False
        try:
            return bool(json.loads(b'"' + bytes(raw)) == DOCUMENT_KEY)
        except ValueError:
            return False

    def _document(self) -> None:
        """Stream the string at the cursor into a decoder; put a reference in the skeleton."""
        if len(self.documents) >= MAX_DOCUMENTS_PER_BODY:
            raise BodyTooLarge
        cursor = self.cursor
        start = self.string_start = cursor.offset
        sink = _Base64Sink(limit=self.limit, decode_bytes=self.decode_bytes)
        try:
            self._string_into(sink, start)
        except BaseException:
            sink.discard()
            raise
        document = sink.finish()
        if document.lone_surrogate:
            text = "\\ud800"  # not a valid string for pydantic, as the original was not
        elif document.pattern_ok:
            text = f"data:chancela-document/{len(self.documents)}.{self.nonce};base64,AAAA"
        else:
            text = "!"  # fails the pattern, as the original did
        self.documents[text if document.pattern_ok else f"{len(self.documents)}"] = document
        placeholder = f'"{text}"'.encode("ascii")
        self.replacements.append(
            (self.skeleton_size, len(placeholder), start, cursor.offset - start)
        )
        self._emit(placeholder)

    def _string_into(self, sink: _Base64Sink, start: int) -> None:
        cursor = self.cursor
        cursor.pos += 1  # the opening quote
        utf8 = codecs.getincrementaldecoder("utf-8")()
        high_surrogate = False
        while True:
            match = _STRING_SPECIAL.search(cursor.buf, cursor.pos)
            end = match.start() if match else len(cursor.buf)
            run = cursor.buf[cursor.pos : end]
            if run:
                if high_surrogate:
                    sink.surrogate("\ud800")
                    high_surrogate = False
                if run.isascii() and not utf8.getstate()[0]:
                    sink.ascii(run)
                else:
                    sink.text(utf8.decode(run))
            cursor.pos = end
            if match is None:
                if not cursor.fill():
                    raise _JsonError(start)  # unterminated string
                continue
            byte = cursor.buf[end]
            if byte == ord('"'):
                cursor.pos = end + 1
                if high_surrogate:
                    sink.surrogate("\ud800")
                return
            if byte < 0x20:
                raise _JsonError(cursor.offset)  # a control character
            # A backslash escape.
            if not cursor.need(2):
                raise _JsonError(start)
            escape = cursor.buf[cursor.pos + 1]
            if escape != ord("u"):
                if escape not in _ESCAPES:
                    raise _JsonError(cursor.offset)
                if high_surrogate:
                    sink.surrogate("\ud800")
                    high_surrogate = False
                sink.text(_ESCAPES[escape])
                cursor.pos += 2
                continue
            # \uXXXX: four hex digits and at least one more byte in the body.
            if not cursor.need(7) or not set(cursor.buf[cursor.pos + 2 : cursor.pos + 6]) <= _HEX:
                raise _JsonError(cursor.offset + 1)
            code = int(cursor.buf[cursor.pos + 2 : cursor.pos + 6], 16)
            cursor.pos += 6
            if 0xDC00 <= code <= 0xDFFF and high_surrogate:
                sink.text("\U0001f600")  # a valid pair: some character outside base64
                high_surrogate = False
                continue
            if high_surrogate:
                sink.surrogate("\ud800")
                high_surrogate = False
            if 0xD800 <= code <= 0xDBFF:
                high_surrogate = True
            elif 0xDC00 <= code <= 0xDFFF:
                sink.surrogate("\udc00")
            else:
                sink.text(chr(code))

    # --- results ------------------------------------------------------------------------
    def body_offset(self, skeleton_offset: int) -> int:
        """Where a byte of the skeleton came from in the body."""
        shift = 0
        for at, length, original_at, original_length in self.replacements:
            if skeleton_offset < at:
                break
            if skeleton_offset < at + length:
                return original_at
            shift = (original_at + original_length) - (at + length)
        return skeleton_offset + shift

    def close(self) -> None:
        for document in self.documents.values():
            document.close()


_CONTINUATION = bytes(range(0x80, 0xC0))


def _line_and_column(file: IO[bytes], offset: int) -> tuple[int, int]:
    """``json``'s line and column (counted in characters) of the byte at ``offset``."""
    file.seek(0)
    line, column, remaining = 1, 0, offset
    while remaining > 0:
        chunk = file.read(min(CHUNK_BYTES, remaining))
        if not chunk:
            break
        remaining -= len(chunk)
        newline = chunk.rfind(b"\n")
        if newline >= 0:
            line += chunk.count(b"\n")
            chunk = chunk[newline + 1 :]
            column = 0
        column += len(chunk.translate(None, _CONTINUATION))
    return line, column + 1


def body_scan(
    body: SpooledBody,
    *,
    limit: int,
    chunk: int = CHUNK_BYTES,
    decode_bytes: int = CHUNK_BYTES,
) -> ScannedBody:
    """The JSON of ``body`` with each ``content_base64`` string decoded into its own file.

    ``limit``: the decoded bytes one document may have (more are counted, not kept). Raises
    :class:`MalformedBody` (not UTF-8, not JSON) or :class:`BodyTooLarge` (the JSON around the
    documents, or their number).
    """
    if not body.utf8:
        raise MalformedBody()
    body.file.seek(0)
    scanner = _Scanner(body.file, limit=limit, chunk=chunk, decode_bytes=decode_bytes)
    try:
        try:
            scanner.run()
        except _JsonError as error:
            # The error inside the string counts, unless the JSON before it had one already.
            earlier = _skeleton_error(scanner)
            offset = earlier if earlier is not None and earlier < scanner.string_start else None
            raise MalformedBody(
                *_line_and_column(body.file, error.offset if offset is None else offset)
            ) from None
        error_at = _skeleton_error(scanner)
        if error_at is not None:
            raise MalformedBody(*_line_and_column(body.file, error_at))
    except BaseException:
        scanner.close()
        raise
    return ScannedBody(scanner.parsed, scanner.documents)


def _skeleton_error(scanner: _Scanner) -> int | None:
    """Parse the skeleton: the body offset of its first error, or None (``parsed`` is set)."""
    text = b"".join(scanner.skeleton).decode("utf-8")
    try:
        scanner.parsed = json.loads(text)
    except json.JSONDecodeError as error:
        return scanner.body_offset(len(text[: error.pos].encode("utf-8")))
    return None


def base64_text_decode(text: str, *, limit: int) -> DecodedDocument:
    """What the scanner would make of ``text`` had it arrived as a ``content_base64`` string."""
    sink = _Base64Sink(limit=limit)
    for start in range(0, len(text), CHUNK_BYTES):
        sink.text(text[start : start + CHUNK_BYTES])
    return sink.finish()
