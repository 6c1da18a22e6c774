/**
 * A bounded LRU of open file descriptors shared by every partition of a LogManager.
 *
 * Every segment file (log and indexes, active or not) is a CachedFile. Its fd is opened on
 * first use and may be closed by eviction at any time it is not in use; the next use reopens
 * it transparently. That is safe because storage never relies on an fd's file position:
 * every read and write passes an explicit position (pread/pwrite). All storage calls are
 * synchronous, so "in use" spans a single call and only a handful of files are pinned at once.
 */
import * as fs from 'node:fs';

const OPEN_FLAGS = fs.constants.O_RDWR;
const CREATE_FLAGS = fs.constants.O_RDWR | fs.constants.O_CREAT;

export class FileHandleCache {
  /** Open files in LRU order: Map iteration order is insertion order, oldest first. */
  private readonly open = new Map<CachedFile, true>();
  private peak = 0;

  constructor(readonly maxOpen: number = 512) {
    if (maxOpen < 4) throw new RangeError('maxOpen must be at least 4');
  }

  /** Number of fds currently open through this cache. */
  get openCount(): number {
    return this.open.size;
  }

  /** Highest openCount observed (for tests and metrics). */
  get peakOpenCount(): number {
    return this.peak;
  }

  /** A handle for `path`. With `create`, the file is created (empty) if it does not exist. */
  file(path: string, create: boolean): CachedFile {
    const f = new CachedFile(this, path);
    if (create) {
      // Create eagerly so directory listings and later plain opens see it.
      f.use(() => undefined, true);
    }
    return f;
  }

  /** @internal */
  touch(f: CachedFile): void {
    this.open.delete(f);
    this.open.set(f, true);
  }

  /** @internal Called before opening one more fd: evict least recently used idle files. */
  makeRoom(): void {
    if (this.open.size < this.maxOpen) return;
    for (const f of this.open.keys()) {
      if (this.open.size < this.maxOpen) break;
      // Files in use are skipped; with synchronous use at most a few are pinned.
      if (f.pins === 0) f.closeFd();
    }
  }

  /** @internal */
  added(f: CachedFile): void {
    this.open.set(f, true);
    if (this.open.size > this.peak) this.peak = this.open.size;
  }

  /** @internal */
  removed(f: CachedFile): void {
    this.open.delete(f);
  }
}

export class CachedFile {
  private fd = -1;
  /** @internal in-use count; a pinned file is never evicted. */
  pins = 0;
  private disposed = false;

  constructor(
    private readonly cache: FileHandleCache,
    readonly path: string,
  ) {}

  get isOpen(): boolean {
    return this.fd >= 0;
  }

  /** Run `fn` with an open fd; the fd stays valid for the duration of the call. */
  use<T>(fn: (fd: number) => T, create = false): T {
    if (this.disposed) throw new Error(`file handle used after close: ${this.path}`);
    if (this.fd < 0) {
      this.cache.makeRoom();
      this.fd = fs.openSync(this.path, create ? CREATE_FLAGS : OPEN_FLAGS);
      this.cache.added(this);
    } else {
      this.cache.touch(this);
    }
    this.pins++;
    try {
      return fn(this.fd);
    } finally {
      this.unpin();
    }
  }

  /**
   * fdatasync on the libuv thread pool, so syncing a large rolled segment does not block the
   * event loop. The fd stays pinned (not evicted, not closed) until the sync completes.
   */
  syncAsync(): Promise<void> {
    return new Promise((resolve, reject) => {
      let fd: number;
      try {
        fd = this.use((f) => f);
      } catch (e) {
        reject(e);
        return;
      }
      this.pins++;
      fs.fdatasync(fd, (err) => {
        this.unpin();
        if (err) reject(err);
        else resolve();
      });
    });
  }

  private unpin(): void {
    this.pins--;
    if (this.pins === 0 && this.disposed) this.closeFd();
  }

  /** pread exactly `length` bytes at `position` (short only at end of file). */
  read(position: number, length: number): Buffer {
    const buf = Buffer.allocUnsafe(length);
    const n = this.readInto(buf, 0, length, position);
    return n === length ? buf : buf.subarray(0, n);
  }

  readInto(buf: Buffer, offset: number, length: number, position: number): number {
    return this.use((fd) => {
      let done = 0;
      while (done < length) {
        const n = fs.readSync(fd, buf, offset + done, length - done, position + done);
        if (n === 0) break;
        done += n;
      }
      return done;
    });
  }

  /** pwrite all of buf[offset, offset+length) at `position`. */
  write(buf: Buffer, offset: number, length: number, position: number): void {
    this.use((fd) => {
      let done = 0;
      while (done < length) {
        done += fs.writeSync(fd, buf, offset + done, length - done, position + done);
      }
    });
  }

  size(): number {
    return this.use((fd) => fs.fstatSync(fd).size);
  }

  mtimeMs(): number {
    return this.use((fd) => fs.fstatSync(fd).mtimeMs);
  }

  truncate(length: number): void {
    this.use((fd) => fs.ftruncateSync(fd, length));
  }

  /**
   * fdatasync. Linux syncs the inode's dirty pages whichever fd is used, so a reopened fd
   * after eviction still flushes earlier writes.
   */
  sync(): void {
    this.use((fd) => fs.fdatasyncSync(fd));
  }

  /** @internal eviction: close the fd but keep the handle usable. */
  closeFd(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    this.cache.removed(this);
    fs.closeSync(fd);
  }

  /** Close for good (deferred while an async sync still uses the fd). */
  close(): void {
    this.disposed = true;
    if (this.pins === 0) this.closeFd();
  }

  /** Close and unlink the file (missing file is fine). */
  delete(): void {
    this.close();
    fs.rmSync(this.path, { force: true });
  }
}
