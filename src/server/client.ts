// One connected client: its input framing, its reply writer and output queue,
// and the per-connection state commands read (selected db, name, protocol).
//
// Input path: the socket's `data` chunk is decoded in place; only the
// incomplete tail of a request is copied (into `carry`), so a request that
// lies inside one chunk is never copied. Output path: every reply produced
// while handling one chunk goes into `out`, and one `socket.write` sends it;
// what the socket did not take waits in `out` for `drain`.

import type { Socket } from "bun";
import { type ClientSession, REPLY_ON, SessionContext } from "../commands/context.ts";
import { Args } from "../protocol/args.ts";
import { decodeStatus, NEED_MORE } from "../protocol/framing.ts";
import { OutBuf } from "../protocol/outbuf.ts";
import { MODE_RESP2, MODE_V1, Reply } from "../protocol/reply.ts";
import { decodeResp, scanRequestKeys } from "../protocol/resp.ts";
import { decodeV1 } from "../protocol/v1.ts";
import type { BlockedCall } from "./blocking.ts";
import { discardTransaction, Transaction } from "./multi.ts";
import { Subscriptions } from "./pubsub.ts";
import type { Server } from "./server.ts";

/** How requests are framed on this connection, fixed by its first byte. */
export const FRAMING_UNKNOWN = 0;
export const FRAMING_V1 = 1;
export const FRAMING_RESP = 2;

export { REPLY_OFF, REPLY_ON, REPLY_SKIP, REPLY_SKIP_NEXT } from "../commands/context.ts";

export interface SocketData {
  client: Client | null;
}

const EMPTY = new Uint8Array(0);
/** Requests of one read whose keys are prefetched together (see prefetchKeys). */
export const PREFETCH_REQUESTS = 32;

/** Replies held for the end of the turn up to this many bytes; more are written at once. */
const TURN_END_MAX_BYTES = 16 * 1024;

export class Client implements ClientSession {
  readonly id: number;
  readonly server: Server;
  readonly socket: Socket<SocketData>;
  readonly argv = new Args();
  readonly out = new OutBuf();
  readonly reply: Reply;
  /** Address of the peer, "ip:port". */
  readonly addr: string;
  readonly laddr: string;
  readonly createdAt = Date.now();
  lastInteraction = Date.now();

  framing = FRAMING_UNKNOWN;
  name = "";
  authenticated = false;
  /** CLIENT REPLY state: REPLY_ON, REPLY_OFF, REPLY_SKIP_NEXT or REPLY_SKIP (see server.execute). */
  replyMode = REPLY_ON;
  noEvict = false;
  lastCommand = "NULL";
  /** aof: end offset of this client's last write in the AOF (its reply waits for it). */
  aofWait = 0;
  aofHeld = false;
  libName = "";
  libVer = "";
  /** ops2: MONITOR mode (CLIENT LIST flag O; src/server/observe.ts). */
  monitor = false;

  /** Unparsed bytes of a request that spans chunks. */
  private carry: Uint8Array = EMPTY;
  private carryLen = 0;
  /** Minimum carry length before decoding is worth retrying (from the decoder). */
  private needBytes = 0;
  /** Reading is paused because unsent replies passed client-output-pause-bytes. */
  paused = false;
  /** Close once the output queue is flushed (QUIT, protocol errors). */
  closeAfterFlush = false;
  closed = false;
  /**
   * A socket client's replies to a read are written at the end of the event-loop turn
   * (Server.deferFlush), as redis-server writes in beforeSleep; false for in-process clients
   * (tests, benches), whose replies are written before onData returns.
   */
  flushAtTurnEnd = false;
  /** Queued in Server.turnEndFlush for this turn. */
  flushQueued = false;
  /** Set while blocked (BLPOP...): input is held, not executed (src/server/blocking.ts). */
  blockedOn: BlockedCall | null = null;
  /** A script this client started is suspended: its next requests wait (holdInput). */
  inputHeld = false;
  /** Set by the dispatcher: the request just decoded was not executed; run it again once the
   * input is released (a script command waiting for the Lua VM). */
  replayRequest = false;

  /** What the commands of this client see (src/commands/context.ts). */
  readonly ctx: SessionContext;
  /** MULTI queue and WATCHed keys (src/server/multi.ts). */
  readonly tx = new Transaction();
  /** Channels and patterns subscribed to (src/server/pubsub.ts). */
  readonly subs = new Subscriptions();

  constructor(id: number, server: Server, socket: Socket<SocketData>) {
    this.id = id;
    this.server = server;
    this.socket = socket;
    this.reply = new Reply(this.out);
    this.reply.onError = (msg) => server.stats.countError(msg);
    this.ctx = new SessionContext(server.keyspace, server.commandLimits, this.reply, this, server);
    this.ctx.argv = this.argv;
    this.ctx.blocking = server.blocking;
    this.addr = `${socket.remoteAddress}:${socket.remotePort ?? 0}`;
    this.laddr = `${socket.localAddress ?? server.host}:${socket.localPort ?? server.port}`;
    this.authenticated = server.config.get("requirepass") === "";
  }

  get isV1(): boolean {
    return this.framing === FRAMING_V1;
  }

  /** One CLIENT LIST line, with Redis 7.0's fields. */
  describe(now: number): string {
    let argvMem = 0;
    const a = this.argv;
    for (let i = 0; i < a.count; i++) argvMem += a.len(i);
    // Redis's flag letters in its order (getClientInfoString); N = none.
    let flags = "";
    if (this.monitor) flags += "O";
    if (this.subs.total > 0) flags += "P";
    if (this.tx.active) flags += "x";
    if (this.blockedOn !== null) flags += "b";
    if (this.tx.dirtyCas) flags += "d";
    if (this.closeAfterFlush) flags += "c";
    if (this.noEvict) flags += "e";
    if (flags === "") flags = "N";
    const s = this.subs;
    const tx = this.tx;
    const out = this.out;
    const omem = out.pending;
    const qbuf = this.queryBufferBytes;
    return (
      `id=${this.id} addr=${this.addr} laddr=${this.laddr} fd=-1 name=${this.name} ` +
      `age=${Math.floor((now - this.createdAt) / 1000)} idle=${Math.floor((now - this.lastInteraction) / 1000)} ` +
      `flags=${flags} db=${this.ctx.db} sub=${s.channels?.size ?? 0} psub=${s.patterns?.size ?? 0} ` +
      `ssub=${s.shardCount} multi=${tx.active ? tx.count : -1} qbuf=${qbuf} qbuf-free=0 ` +
      `argv-mem=${argvMem} multi-mem=${tx.active ? tx.memoryBytes : 0} rbs=${out.capacity} rbp=${out.capacity} obl=0 oll=0 ` +
      `omem=${omem} tot-mem=${out.capacity + qbuf} events=${omem > 0 ? "rw" : "r"} ` +
      `cmd=${this.lastCommand} user=default redir=-1 resp=${this.ctx.protover}`
    );
  }

  /** Channels + patterns + shard channels (nonzero: in pub/sub mode). */
  get subscriptionCount(): number {
    return this.subs.total;
  }

  /** RESET (Redis's clearClientConnectionState): no transaction, WATCH or subscription left. */
  reset(): void {
    if (this.monitor) this.server.observe.stopMonitor(this); // ops2: RESET leaves MONITOR
    discardTransaction(this);
    this.server.pubsub.removeClient(this);
  }

  holdForScript(): void {
    this.inputHeld = true;
  }

  releaseFromScript(): void {
    this.inputHeld = false;
    if (this.closed) return;
    this.flush(); // sends the reply, then executes the held requests (resumeReading)
  }

  /** Bytes of input held for this client (carry + paused input). */
  get queryBufferBytes(): number {
    return this.carry.length;
  }

  // ---- input ---------------------------------------------------------------

  onData(chunk: Uint8Array): void {
    this.lastInteraction = this.server.now;
    if (this.closed || this.closeAfterFlush) return;
    if (this.framing === FRAMING_UNKNOWN) {
      if (chunk.length === 0) return;
      this.framing = chunk[0] === 0 ? FRAMING_V1 : FRAMING_RESP;
      this.reply.mode = this.framing === FRAMING_V1 ? MODE_V1 : MODE_RESP2;
      this.ctx.protover = this.framing === FRAMING_V1 ? 1 : 2;
    }
    if (this.blockedOn !== null) {
      // Blocked: hold the input (Redis keeps reading into the query buffer) until unblocked.
      this.appendCarry(chunk);
      this.needBytes = 0;
      if (this.carryLen > this.server.queryBufferLimit) this.overQueryLimit(this.carryLen);
      return;
    }
    if (this.carryLen === 0) {
      this.consume(chunk, 0, chunk.length);
    } else {
      this.appendCarry(chunk);
      // While a big argument arrives, no decode (and so no keepTail) runs:
      // check client-query-buffer-limit here too, as Redis does on every read.
      if (this.carryLen > this.server.queryBufferLimit) {
        this.overQueryLimit(this.carryLen);
        return;
      }
      if (this.carryLen >= this.needBytes) {
        const buf = this.carry;
        const len = this.carryLen;
        this.carryLen = 0;
        this.consume(buf, 0, len);
      }
    }
    this.server.commands.stats.endBatch(); // INFO commandstats usec of this read's commands
    // A client about to be closed (protocol error, QUIT) is written now: closing a socket with
    // unread input sends a reset that can discard the reply, and every turn of delay lets
    // more of an oversized request arrive unread.
    // Big output (LRANGE of hundreds of elements) goes at once too: one wake-up is little next
    // to its bytes, and holding it to the turn's end only delays the copy into the socket.
    if (this.flushAtTurnEnd && !this.closeAfterFlush && this.out.pending < TURN_END_MAX_BYTES) {
      this.server.deferFlush(this);
    } else this.flush();
  }

  /** Decode and execute requests in buf[pos, end); keep what is left. */
  private consume(buf: Uint8Array, pos: number, end: number): void {
    const server = this.server;
    const args = this.argv;
    const resp = this.framing === FRAMING_RESP;
    const decode = resp ? decodeResp : decodeV1;
    if (resp) this.prefetchKeys(buf, pos, end);
    while (pos < end) {
      if (this.out.pending > server.outputPauseBytes || this.inputHeld) {
        // Backpressure, or a suspended script's caller (inputHeld): stop executing; keep the
        // rest of the input until drain / releaseInput.
        this.pauseReading(buf, pos, end);
        return;
      }
      const limits = this.authenticated ? server.decodeLimits : server.unauthLimits;
      const next = decode(buf, pos, end, args, limits);
      if (next >= 0) {
        args.frameBuf = resp ? buf : null;
        args.frameStart = pos;
        args.frameEnd = next;
        pos = next;
        server.execute(this);
        if (this.closeAfterFlush) return;
        if (this.replayRequest) {
          // Not executed (it waits for the Lua VM): hold it and what follows.
          this.replayRequest = false;
          this.pauseReading(buf, args.frameStart, end);
          return;
        }
        if (this.blockedOn !== null) {
          this.holdInput(buf, pos, end);
          return;
        }
        if (this.outputOverLimit()) {
          this.overOutputLimit();
          return;
        }
        continue;
      }
      if (next === NEED_MORE) break;
      this.protocolError(decodeStatus.error);
      return;
    }
    this.keepTail(buf, pos, end);
  }

  /**
   * A pipelined read (two or more complete requests): bring the keyspace slots, entry columns and
   * key bytes of every request's first key (argument 1) into the cache before executing any of
   * them, so the misses overlap instead of each request waiting for its own (Redis 8 prefetches
   * a batch's keys likewise; MSET does it for its own keys). Only reads; a request whose
   * argument 1 is not a key costs one hash and probe for nothing.
   */
  private prefetchKeys(buf: Uint8Array, pos: number, end: number): void {
    const s = this.server;
    const n = scanRequestKeys(buf, pos, end, s.prefetchOffs, s.prefetchLens, PREFETCH_REQUESTS);
    if (n >= 2) s.keyspace.db(this.ctx.db).prefetch(buf, s.prefetchOffs, s.prefetchLens, 0, 1, n);
  }

  private keepTail(buf: Uint8Array, pos: number, end: number): void {
    const rest = end - pos;
    if (rest === 0) {
      this.carryLen = 0;
      this.needBytes = 0;
      if (this.carry.length > 64 * 1024) this.carry = EMPTY; // do not pin a big buffer
      return;
    }
    const limit = this.server.queryBufferLimit;
    if (rest > limit) {
      this.overQueryLimit(rest);
      return;
    }
    this.needBytes = Math.max(rest + 1, decodeStatus.need);
    if (buf === this.carry) {
      if (pos > 0) this.carry.copyWithin(0, pos, end);
    } else {
      // Pre-size for a declared big argument, but never past the limit.
      this.reserveCarry(Math.min(Math.max(rest, this.needBytes), limit + 1));
      this.carry.set(buf.subarray(pos, end), 0);
    }
    this.carryLen = rest;
  }

  /** client-query-buffer-limit: close without a reply, as Redis. */
  private overQueryLimit(bytes: number): void {
    this.server.log.warn(
      `Closing client that reached max query buffer length: id=${this.id} addr=${this.addr} qbuf=${bytes}`,
    );
    this.carryLen = 0;
    this.close();
  }

  private appendCarry(chunk: Uint8Array): void {
    this.reserveCarry(this.carryLen + chunk.length);
    this.carry.set(chunk, this.carryLen);
    this.carryLen += chunk.length;
  }

  private reserveCarry(n: number): void {
    if (n <= this.carry.length) return;
    let size = Math.max(this.carry.length * 2, 16 * 1024);
    while (size < n) size *= 2;
    const next = new Uint8Array(size);
    if (this.carryLen > 0) next.set(this.carry.subarray(0, this.carryLen));
    this.carry = next;
  }

  /** Reply with the error, then close: a broken stream cannot be resynchronised. */
  private protocolError(msg: string): void {
    this.server.log.verbose(`Protocol error (${msg}) from client: id=${this.id} addr=${this.addr}`);
    this.reply.resetState();
    this.reply.error(msg);
    this.closeAfterFlush = true;
    this.carryLen = 0;
  }

  // ---- backpressure ----------------------------------------------------------

  /** Keep the unexecuted input buf[pos, end) in the carry (paused or blocked). */
  private holdInput(buf: Uint8Array, pos: number, end: number): void {
    const rest = end - pos;
    if (buf === this.carry) {
      if (pos > 0) this.carry.copyWithin(0, pos, end);
    } else {
      this.reserveCarry(rest);
      this.carry.set(buf.subarray(pos, end), 0);
    }
    this.carryLen = rest;
    this.needBytes = 0;
  }

  /** Unblocked: send the reply, then run the input that arrived meanwhile. */
  resumeAfterBlock(): void {
    if (this.closed) return;
    if (this.carryLen > 0 && !this.paused) {
      const buf = this.carry;
      const len = this.carryLen;
      this.carryLen = 0;
      this.consume(buf, 0, len);
      this.server.commands.stats.endBatch();
    }
    this.flush();
  }

  private pauseReading(buf: Uint8Array, pos: number, end: number): void {
    // Keep the unexecuted input; it is executed when the output drains.
    this.holdInput(buf, pos, end);
    if (!this.paused) {
      this.paused = true;
      this.socket.pause();
      this.server.log.verbose(
        `Pausing reads from client id=${this.id} addr=${this.addr}: ${this.out.pending} bytes of replies unsent`,
      );
    }
  }

  private resumeReading(): void {
    this.paused = false;
    if (this.blockedOn !== null) {
      this.socket.resume();
      return;
    }
    this.server.log.verbose(`Resuming reads from client id=${this.id} addr=${this.addr}`);
    if (this.carryLen > 0) {
      const buf = this.carry;
      const len = this.carryLen;
      this.carryLen = 0;
      this.consume(buf, 0, len);
      this.server.commands.stats.endBatch();
    }
    if (!this.paused && !this.closed) this.socket.resume();
  }

  // ---- output ----------------------------------------------------------------

  /**
   * Send what is queued (one write); what the socket does not take waits for
   * drain. Once a paused client's queue is down to half the pause threshold,
   * its held input is executed and reading resumes.
   */
  flush(): void {
    const out = this.out;
    for (;;) {
      if (this.closed) return;
      // aof: with appendfsync always, a reply leaves after the group commit (aof.holdReply).
      if (out.pending > 0 && this.server.aof.on && this.server.aof.holdReply(this)) return;
      if (out.pending > 0) {
        // Offset + length form: no subarray object per flush.
        const n = this.socket.write(out.buf, out.start, out.end - out.start);
        if (n > 0) {
          out.consumed(n);
          // As Redis's writeToClient: sending a reply counts as interaction (`timeout`), so a
          // client unblocked after a long BLPOP is not closed as idle right after its reply.
          this.lastInteraction = this.server.now;
          this.server.stats.outputBytes += n;
          this.server.stats.writesProcessed++;
        }
        if (this.outputOverLimit()) {
          this.overOutputLimit();
          return;
        }
      }
      if (out.pending === 0 && this.closeAfterFlush) {
        this.close();
        return;
      }
      if (!this.paused || this.inputHeld || out.pending > this.server.outputPauseBytes >>> 1)
        return;
      this.resumeReading();
      if (out.pending === 0) return;
    }
  }

  /**
   * client-output-buffer-limit of this client's class: the normal hard limit, or once
   * subscribed the pubsub class (hard, and soft for more than its seconds).
   */
  private outputOverLimit(): boolean {
    const server = this.server;
    const pending = this.out.pending;
    if (this.subs.total > 0) return this.subs.overLimit(pending, server.pubsub.limit, server.now);
    return server.outputHardLimit > 0 && pending > server.outputHardLimit;
  }

  /** Over client-output-buffer-limit: disconnect, as Redis does. */
  private overOutputLimit(): void {
    this.server.log.warn(
      `Client id=${this.id} addr=${this.addr} closed for overcoming of output buffer limits (${this.out.pending} bytes unsent).`,
    );
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.end();
    this.server.removeClient(this);
  }
}
