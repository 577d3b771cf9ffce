"""The file a loader reads: checked before reading (a directory, a missing or blank file is one line), then read
front to back with its sha256 computed over the bytes as they pass, so the digest is of exactly what was parsed.

Every read is an os.pread at an offset of its own, never the descriptor's: pyarrow's reads (Parquet) cannot disturb
the hashing pass, and one open file serves both, so a file replaced meanwhile is never mixed in. Line and CSV
readers and pyarrow get views of the file (`stream()`, `random_access()`) that they may close without closing it.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
from pathlib import Path
from types import TracebackType

from evalkit.errors import InvalidData

WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_CHUNK = 1 << 20  # bytes per read where the caller names no size


class SourceFile:
    """One dataset file, open: `read()` reads it in order (hashed), `finish()` reads what is left and gives the
    sha256 of all of it."""

    def __init__(self, path: str):
        self.path = path
        source = Path(path)
        if source.is_dir():
            raise InvalidData(f"{path}: is a directory; dataset.path must name a file")
        if not source.exists():
            raise InvalidData(f"{path}: no such dataset file")
        if not source.is_file():
            raise InvalidData(f"{path}: not a regular file")
        try:
            self._fd = os.open(path, os.O_RDONLY)
        except OSError as err:
            raise InvalidData(f"{path}: cannot be read ({err.strerror or err})") from None
        self._offset = 0
        self._sha = hashlib.sha256()
        try:
            self._lead = self._first_non_blank(0)
        except InvalidData:
            self.close()
            raise
        if not self._lead:
            self.close()
            raise InvalidData(f"{path}: empty file: no conversations")

    def __enter__(self) -> SourceFile:
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def read(self, size: int = -1) -> bytes:
        """The next `size` bytes in order (all that is left when negative); b'' at the end."""
        if size < 0:
            chunks = []
            while data := self.read(_CHUNK):
                chunks.append(data)
            return b"".join(chunks)
        data = self.pread(size, self._offset)
        self._offset += len(data)
        self._sha.update(data)
        return data

    def pread(self, size: int, offset: int) -> bytes:
        """Bytes at an offset, outside the hashed order (a peek, or pyarrow's reads)."""
        try:
            return os.pread(self._fd, size, offset)
        except OSError as err:
            raise InvalidData(f"{self.path}: cannot be read ({err.strerror or err})") from None

    def size(self) -> int:
        return os.fstat(self._fd).st_size

    def skip_bom(self) -> None:
        """Read past a UTF-8 byte order mark; a UTF-16 or UTF-32 one (a file not in UTF-8) is one clear line."""
        head = self.pread(4, 0)
        if head.startswith(WIDE_BOMS):
            raise InvalidData(f"{self.path}: encoded as UTF-16 or UTF-32 (byte order mark); re-encode the file as "
                              "UTF-8")
        if head.startswith(codecs.BOM_UTF8) and self._offset == 0:
            self.read(len(codecs.BOM_UTF8))

    def lead(self) -> bytes:
        """The first byte that is not ASCII whitespace, after an optional UTF-8 BOM (b'' when there is none)."""
        if self.pread(3, 0) == codecs.BOM_UTF8:
            return self._first_non_blank(3)
        return self._lead

    def whole(self) -> bytes:
        """Every byte of the file, wherever reading stands: for a document that must be read whole."""
        chunks, offset = [], 0
        while data := self.pread(_CHUNK, offset):
            chunks.append(data)
            offset += len(data)
        return b"".join(chunks)

    def finish(self) -> str:
        """Read the rest of the file (after a reader that stopped early, or pyarrow's own reads) and give the sha256
        of every byte of it."""
        while self.read(_CHUNK):
            pass
        return self._sha.hexdigest()

    def stream(self) -> io.RawIOBase:
        """The file in order, as a raw stream for io.BufferedReader or io.TextIOWrapper (closing it leaves this
        open)."""
        return _InOrder(self)

    def random_access(self) -> io.RawIOBase:
        """The file as a seekable stream of its own (for pyarrow), outside the hashed order."""
        return _Seekable(self)

    def _first_non_blank(self, offset: int) -> bytes:
        while chunk := self.pread(_CHUNK, offset):
            if stripped := chunk.lstrip():  # bytes.lstrip strips exactly what bytes.isspace calls space
                return stripped[:1]
            offset += len(chunk)
        return b""


class _InOrder(io.RawIOBase):
    def __init__(self, source: SourceFile):
        super().__init__()
        self._source = source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._source.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _Seekable(io.RawIOBase):
    def __init__(self, source: SourceFile):
        super().__init__()
        self._source, self._position = source, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._source.size()}[whence]
        self._position = base + offset
        return self._position

    def tell(self) -> int:
        return self._position

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._source.pread(len(buffer), self._position)
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)
