// Arena: byte memory for keys and values, outside the JS object heap.
//
// Memory is a list of pages. An address is a plain number `pageIndex * PAGE_SIZE + offset`, so
// the store keeps one Float64 per block instead of a JS reference. A block never straddles pages.
//
// Small blocks (<= LARGE_BLOCK) are rounded up to a size class and carved from a bump pointer in
// the current 1 MiB page; freed blocks go on a per-class free list (a Float64Array stack) and are
// reused first. Large blocks get a dedicated page of exactly their size; freeing one drops it.
//
// Small pages come back through compaction (compact.ts): it marks sparse pages as evacuating
// (beginEvacuation), their owners move the live blocks out (isEvacuating + alloc/copy/free), and
// a page whose last block leaves is dropped. Free-list entries of evacuating or dropped pages
// are skipped lazily by alloc and purged one class per step (purgeStep) before a dropped page's
// id is reused. Per-page live bytes (pageLive) make "sparse" cheap to find.

export const PAGE_SIZE = 1 << 20;
export const LARGE_BLOCK = 64 * 1024;
/** Column types hold capacities in Int32: one block can never exceed this. */
export const MAX_BLOCK = 0x7fffffff;

const MIN_BLOCK = 16;
const EMPTY_PAGE = new Uint8Array(0);
/** capacityCode() of a large block: its capacity is its page's length. */
export const LARGE_CODE = 255;

/** Page states (pageState[id]). */
const PAGE_NORMAL = 0;
const PAGE_EVACUATING = 1;
/** Dropped small page: its id waits until no free list can still name it. */
const PAGE_PARKED = 2;
/** A large block's dedicated page. */
const PAGE_LARGE = 3;

// Size classes: 16, 32, ... 128 (8 classes), then 4 per power of two up to 64 KiB
// (160, 192, 224, 256, 320, ...). Worst-case internal waste above 128 bytes is < 25%.
const CLASS_SIZES: number[] = [];
for (let s = 16; s <= 128; s += 16) CLASS_SIZES.push(s);
for (let base = 128; base < LARGE_BLOCK; base *= 2) {
  for (let q = 1; q <= 4; q++) CLASS_SIZES.push(base + (base / 4) * q);
}
export const CLASS_COUNT = CLASS_SIZES.length;
/** Free-list stack chunk: 64K entries (512 KiB). */
const FREE_SHIFT = 16;
const FREE_CHUNK = 1 << FREE_SHIFT;
const FREE_MASK = FREE_CHUNK - 1;

/**
 * Stale free-list entries (on evacuating or dropped pages) one alloc skips before it carves
 * from the bump page instead. Unbounded, a relocation at 10M keys skipped through a run of
 * stale entries long enough to stop the loop for ~20 ms.
 */
export const POP_SKIP_MAX = 64;

/** Class index for a small size (0 <= size <= LARGE_BLOCK). */
function classOf(size: number): number {
  if (size <= 128) return size <= MIN_BLOCK ? 0 : ((size + 15) >>> 4) - 1;
  const p = 31 - Math.clz32(size - 1); // 2^p < size <= 2^(p+1)
  const base = 1 << p;
  const step = base >>> 2;
  const sub = Math.ceil((size - base) / step); // 1..4
  return 8 + (p - 7) * 4 + sub - 1;
}

export interface ArenaOptions {
  /** Track every live block to catch double and foreign frees (tests; costs a Map entry each). */
  checked?: boolean;
}

export class Arena {
  private pages: Uint8Array[] = [];
  private freePageIds: number[] = [];
  /** Per page id: live bytes of small blocks in it, and its state (PAGE_*). */
  private pageLive: number[] = [];
  private pageState: number[] = [];
  /** Small pages currently held (1 MiB each) and the live bytes in them. */
  private smallPages = 0;
  private smallLive = 0;
  /** Pages evacuating now; ids of dropped pages waiting for the purge; purge cursor (class). */
  private evacuating = 0;
  private parked: number[] = [];
  /** Purge round: class and index reached, and the parked ids it will release. */
  private purgeClass = -1;
  private purgeIndex = 0;
  private purging: number[] = [];
  /** Small pages dropped by compaction so far (INFO/tests). */
  pagesReleased = 0;
  /** Current small page and its bump pointer; -1 before the first small allocation. */
  private bumpPage = -1;
  private bumpOffset = PAGE_SIZE;
  /**
   * Per class, the free-list stack in chunks: chunk 0 doubles up to FREE_CHUNK entries, later
   * chunks are FREE_CHUNK each. Entry i is chunks[i >> FREE_SHIFT][i & FREE_MASK]. (One
   * doubling Float64Array stopped the loop for ~50-150 ms copying 8M entries at 10M frees.)
   */
  private readonly freeLists: Float64Array[][] = [];
  private readonly freeCounts = new Int32Array(CLASS_COUNT);
  private reserved = 0;
  private live = 0;
  /** Bytes of the free-list stacks, kept as they grow (read per write under maxmemory). */
  private overhead = 0;
  private readonly liveBlocks: Map<number, number> | null;

  constructor(options: ArenaOptions = {}) {
    for (let c = 0; c < CLASS_COUNT; c++) this.freeLists.push([new Float64Array(16)]);
    this.overhead = CLASS_COUNT * 16 * 8;
    this.liveBlocks = options.checked === true ? new Map() : null;
  }

  /** Bytes actually reserved for a request of `size` bytes. */
  capacityFor(size: number): number {
    if (size > LARGE_BLOCK) return size;
    return CLASS_SIZES[classOf(size)]!;
  }

  alloc(size: number): number {
    if (!(size >= 0 && size <= MAX_BLOCK)) throw new RangeError(`arena: bad block size ${size}`);
    let addr: number;
    let cap: number;
    if (size > LARGE_BLOCK) {
      cap = size;
      const id = this.takePageId();
      this.pages[id] = new Uint8Array(size);
      this.pageState[id] = PAGE_LARGE;
      this.reserved += size;
      addr = id * PAGE_SIZE;
    } else {
      const c = classOf(size);
      cap = CLASS_SIZES[c]!;
      addr = this.popFree(c);
      if (addr < 0) {
        if (this.bumpOffset + cap > PAGE_SIZE) this.newBumpPage();
        addr = this.bumpPage * PAGE_SIZE + this.bumpOffset;
        this.bumpOffset += cap;
      }
      const id = Math.floor(addr / PAGE_SIZE);
      this.pageLive[id] = this.pageLive[id]! + cap;
      this.smallLive += cap;
    }
    this.live += cap;
    if (this.liveBlocks !== null) this.liveBlocks.set(addr, cap);
    return addr;
  }

  /** Free a block; `capacity` must be what capacityFor(size) gave at alloc time. */
  free(addr: number, capacity: number): void {
    const id = Math.floor(addr / PAGE_SIZE);
    const off = addr - id * PAGE_SIZE;
    const page = this.pages[id];
    // Cheap shape checks always run; exact ownership only in checked mode.
    if (page === undefined || page.length === 0 || off + capacity > page.length) {
      throw new Error(`arena: free of unknown block ${addr}/${capacity}`);
    }
    if (this.liveBlocks !== null) {
      if (this.liveBlocks.get(addr) !== capacity) {
        throw new Error(`arena: double or mismatched free ${addr}/${capacity}`);
      }
      this.liveBlocks.delete(addr);
    }
    this.live -= capacity;
    if (capacity > LARGE_BLOCK) {
      if (off !== 0 || page.length !== capacity) throw new Error(`arena: bad large free ${addr}`);
      this.pages[id] = EMPTY_PAGE;
      this.pageState[id] = PAGE_NORMAL;
      this.reserved -= capacity;
      this.freePageIds.push(id);
      return;
    }
    const c = classOf(capacity);
    if (CLASS_SIZES[c] !== capacity || (off & (MIN_BLOCK - 1)) !== 0) {
      throw new Error(`arena: bad small free ${addr}/${capacity}`);
    }
    this.pageLive[id] = this.pageLive[id]! - capacity;
    this.smallLive -= capacity;
    if (this.pageState[id] === PAGE_EVACUATING) {
      // Not reused: the page is being emptied. Dropped once its last block is gone.
      if (this.pageLive[id] === 0) this.dropSmallPage(id);
      return;
    }
    this.pushFree(c, addr);
  }

  /** Capacity code of a block of `size` bytes: its class index, or LARGE_CODE (fits a Uint8). */
  capacityCode(size: number): number {
    return size > LARGE_BLOCK ? LARGE_CODE : classOf(size);
  }

  /** The capacity a code stands for; a large block's is its page's length. */
  capacityOfCode(code: number, addr: number): number {
    return code === LARGE_CODE ? this.page(addr).length : CLASS_SIZES[code]!;
  }

  /** True when the block at addr must move out (its page is being compacted away). */
  isEvacuating(addr: number): boolean {
    return this.pageState[Math.floor(addr / PAGE_SIZE)] === PAGE_EVACUATING;
  }

  /** Pages being evacuated right now. */
  get evacuatingPages(): number {
    return this.evacuating;
  }

  /** Bytes of small pages held (1 MiB each) and the live bytes in them. */
  get smallReservedBytes(): number {
    return this.smallPages * PAGE_SIZE;
  }

  get smallLiveBytes(): number {
    return this.smallLive;
  }

  /**
   * Mark the sparsest small pages for evacuation until about `bytes` of free page space would
   * come back (never the bump page, never a page more than `maxFill` full). Returns the pages
   * marked. Their free blocks stop being handed out at once; live ones must be moved by their
   * owners (Table.relocate), and each page is dropped when its last block leaves.
   */
  beginEvacuation(bytes: number, maxFill = 0.5): number {
    const ids: number[] = [];
    for (let id = 0; id < this.pages.length; id++) {
      if (this.pageState[id] !== PAGE_NORMAL || id === this.bumpPage) continue;
      if (this.pages[id]!.length !== PAGE_SIZE) continue; // an unused id
      if (this.pageLive[id]! <= PAGE_SIZE * maxFill) ids.push(id);
    }
    ids.sort((a, b) => this.pageLive[a]! - this.pageLive[b]!);
    let freed = 0;
    let n = 0;
    for (const id of ids) {
      if (freed >= bytes) break;
      freed += PAGE_SIZE - this.pageLive[id]!;
      n++;
      if (this.pageLive[id] === 0) {
        this.dropSmallPage(id);
        continue;
      }
      this.pageState[id] = PAGE_EVACUATING;
      this.evacuating++;
    }
    return n;
  }

  /**
   * Purge up to maxEntries free-list entries that name evacuating or dropped pages, class by
   * class (a stale entry is replaced by the list's top entry, which is checked next, so pops and
   * pushes between calls stay safe). After a full round over every class, page ids dropped
   * before the round began become reusable. Returns true while work remains.
   */
  purgeStep(maxEntries = 16384): boolean {
    if (this.purgeClass < 0) {
      if (this.parked.length === 0 && this.evacuating === 0) return false;
      this.purgeClass = 0;
      this.purgeIndex = 0;
      this.purging = this.parked;
      this.parked = [];
    }
    let budget = maxEntries;
    while (this.purgeClass < CLASS_COUNT) {
      const c = this.purgeClass;
      const list = this.freeLists[c]!;
      let n = this.freeCounts[c]!;
      let i = this.purgeIndex;
      while (i < n && budget > 0) {
        budget--;
        const chunk = list[i >>> FREE_SHIFT]!;
        if (this.pageState[Math.floor(chunk[i & FREE_MASK]! / PAGE_SIZE)] === PAGE_NORMAL) i++;
        else {
          n--;
          chunk[i & FREE_MASK] = list[n >>> FREE_SHIFT]![n & FREE_MASK]!;
        }
      }
      this.freeCounts[c] = n;
      if (i < n) {
        this.purgeIndex = i;
        return true;
      }
      this.purgeClass++;
      this.purgeIndex = 0;
    }
    this.purgeClass = -1;
    // Ids dropped before this round began are named by no free list any more.
    for (const id of this.purging) {
      this.pageState[id] = PAGE_NORMAL;
      this.pageLive[id] = 0;
      this.freePageIds.push(id);
    }
    this.purging = [];
    return this.evacuating > 0 || this.parked.length > 0;
  }

  page(addr: number): Uint8Array {
    return this.pages[Math.floor(addr / PAGE_SIZE)]!;
  }

  offset(addr: number): number {
    // Not `addr % PAGE_SIZE`: addr is a double (it may pass 2^31) and JSC's double modulo is a
    // call to fmod, ~8 ns, on every key lookup. Dividing by a power of two is exact.
    return addr - Math.floor(addr / PAGE_SIZE) * PAGE_SIZE;
  }

  /** Sum of page sizes held (what the arena costs the process). */
  get reservedBytes(): number {
    return this.reserved;
  }

  /** Sum of capacities of live blocks. */
  get liveBytes(): number {
    return this.live;
  }

  /** Entries on the free list of size's class, stale ones included (tests). */
  freeEntries(size: number): number {
    return this.freeCounts[classOf(size)]!;
  }

  /** Bookkeeping outside the pages: free-list stacks. */
  get overheadBytes(): number {
    return this.overhead;
  }

  /** Drop every block at once (FLUSHALL): O(pages), no per-block work. */
  reset(): void {
    this.pages = [];
    this.freePageIds = [];
    this.bumpPage = -1;
    this.bumpOffset = PAGE_SIZE;
    this.freeCounts.fill(0);
    for (let c = 0; c < CLASS_COUNT; c++) this.freeLists[c] = [new Float64Array(16)];
    this.overhead = CLASS_COUNT * 16 * 8;
    this.reserved = 0;
    this.live = 0;
    this.pageLive = [];
    this.pageState = [];
    this.smallPages = 0;
    this.smallLive = 0;
    this.evacuating = 0;
    this.parked = [];
    this.purgeClass = -1;
    this.purgeIndex = 0;
    this.purging = [];
    if (this.liveBlocks !== null) this.liveBlocks.clear();
  }

  private popFree(c: number): number {
    const list = this.freeLists[c]!;
    let n = this.freeCounts[c]!;
    // Entries of evacuating/dropped pages are skipped here (at most POP_SKIP_MAX per call: the
    // bump page serves the rest) and purged by purgeStep.
    const stop = Math.max(0, n - POP_SKIP_MAX);
    while (n > stop) {
      n--;
      const a = list[n >>> FREE_SHIFT]![n & FREE_MASK]!;
      if (this.pageState[Math.floor(a / PAGE_SIZE)] === PAGE_NORMAL) {
        this.freeCounts[c] = n;
        return a;
      }
    }
    this.freeCounts[c] = n;
    return -1;
  }

  private dropSmallPage(id: number): void {
    if (this.pageState[id] === PAGE_EVACUATING) this.evacuating--;
    this.pages[id] = EMPTY_PAGE;
    this.reserved -= PAGE_SIZE;
    this.smallPages--;
    this.pageState[id] = PAGE_PARKED;
    this.parked.push(id);
    this.pagesReleased++;
  }

  private takePageId(): number {
    const id = this.freePageIds.pop();
    if (id !== undefined) return id;
    this.pages.push(EMPTY_PAGE);
    this.pageLive.push(0);
    this.pageState.push(PAGE_NORMAL);
    return this.pages.length - 1;
  }

  private newBumpPage(): void {
    // Carve the old page's tail into the largest classes that fit: no byte is wasted.
    if (this.bumpPage >= 0) {
      let tail = PAGE_SIZE - this.bumpOffset;
      while (tail >= MIN_BLOCK) {
        let c = tail > LARGE_BLOCK ? CLASS_COUNT - 1 : classOf(tail);
        if (CLASS_SIZES[c]! > tail) c--;
        const size = CLASS_SIZES[c]!;
        this.pushFree(c, this.bumpPage * PAGE_SIZE + this.bumpOffset);
        this.bumpOffset += size;
        tail -= size;
      }
    }
    const id = this.takePageId();
    this.pages[id] = new Uint8Array(PAGE_SIZE);
    this.reserved += PAGE_SIZE;
    this.smallPages++;
    this.pageLive[id] = 0;
    this.bumpPage = id;
    this.bumpOffset = 0;
  }

  private pushFree(c: number, addr: number): void {
    const n = this.freeCounts[c]!;
    const list = this.freeLists[c]!;
    const k = n >>> FREE_SHIFT;
    if (k === list.length) {
      list.push(new Float64Array(FREE_CHUNK));
      this.overhead += FREE_CHUNK * 8;
    }
    let chunk = list[k]!;
    const i = n & FREE_MASK;
    if (i === chunk.length) {
      // Only chunk 0 is short: double it (at most FREE_CHUNK entries copied).
      const bigger = new Float64Array(chunk.length * 2);
      bigger.set(chunk);
      list[0] = bigger;
      this.overhead += bigger.byteLength - chunk.byteLength;
      chunk = bigger;
    }
    chunk[i] = addr;
    this.freeCounts[c] = n + 1;
  }
}
