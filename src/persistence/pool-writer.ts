// A file written in chunks through Bun's thread pool (fs.write at explicit offsets, so the
// completion order is free), for the background jobs that must not wait on the disk inside an
// event-loop slice: BGSAVE (snapshot.ts SnapshotJob) and the AOF-format base (aof-base-job.ts).
// Measured on this machine, a 64 KiB writeSync usually takes 0.03 ms but now and then 10-28 ms
// (page-cache writeback throttling); the pool takes that wait instead. Each chunk is copied into
// one of at most `maxInFlight` buffers of `chunkBytes` (the bound on the copies); when all are
// out, `full` is true and the job decides: write synchronously (BGSAVE's back-pressure) or end
// its slice (the AOF-format base).

import { closeSync, write } from "node:fs";

export class PoolWriter {
  /** Chunk copies in the thread pool now. */
  inFlight = 0;
  /** Most chunk copies in the pool at once (tests: the bound holds). */
  peakInFlight = 0;
  /** Buffers back from the pool, reused for the next chunks. */
  readonly freeBufs: Uint8Array[] = [];
  /** The first write error (the job fails with it at its next step or at the end). */
  error: string | null = null;
  private onIdle: (() => void) | null = null;
  private closeWhenIdle = false;

  constructor(
    /** The file (-1 once closed). Jobs write to it synchronously too (sync chunks, fsync). */
    public fd: number,
    private readonly chunkBytes: number,
    private readonly maxInFlight: number,
  ) {}

  /** Every buffer is out: the next chunk has nowhere to go until a write completes. */
  get full(): boolean {
    return this.freeBufs.length === 0 && this.inFlight >= this.maxInFlight;
  }

  /** Copy src[off, off + len) (len <= chunkBytes, not full) and write it at file offset pos. */
  writeCopy(src: Uint8Array, off: number, len: number, pos: number): void {
    const buf = this.freeBufs.pop() ?? new Uint8Array(this.chunkBytes);
    buf.set(src.subarray(off, off + len));
    this.inFlight++;
    if (this.inFlight > this.peakInFlight) this.peakInFlight = this.inFlight;
    this.writeAt(buf, 0, len, pos);
  }

  /** Call f once no write is in the pool (now, if none is). */
  whenIdle(f: () => void): void {
    if (this.inFlight === 0) f();
    else this.onIdle = f;
  }

  /** Close the file once no write in the pool still uses the descriptor. */
  close(): void {
    if (this.fd < 0) return;
    if (this.inFlight > 0) {
      this.closeWhenIdle = true;
      return;
    }
    try {
      closeSync(this.fd);
    } catch {}
    this.fd = -1;
  }

  private writeAt(buf: Uint8Array, from: number, len: number, pos: number): void {
    write(this.fd, buf, from, len, pos, (err, n) => {
      if (err) this.error ??= err.message;
      else if (n < len) return this.writeAt(buf, from + n, len - n, pos + n);
      this.inFlight--;
      this.freeBufs.push(buf);
      if (this.inFlight > 0) return;
      if (this.closeWhenIdle) {
        this.closeWhenIdle = false;
        this.close();
      }
      const f = this.onIdle;
      this.onIdle = null;
      f?.();
    });
  }
}
