// Publish/subscribe with Redis 7.0's replies (pubsub.c): SUBSCRIBE / UNSUBSCRIBE, PSUBSCRIBE /
// PUNSUBSCRIBE (Redis glob on bytes, src/store/glob.ts), SSUBSCRIBE / SUNSUBSCRIBE / SPUBLISH
// (standalone: one shard), PUBLISH, PUBSUB CHANNELS / NUMSUB / NUMPAT / SHARDCHANNELS /
// SHARDNUMSUB / HELP.
//
// Registries are byte-keyed: a ByteDict of channel (or pattern) bytes whose ids index the list
// of subscribed clients, in subscription order (delivery order, as Redis 7.0's client lists).
// Each client keeps its own ByteDicts of what it subscribed to (for unsubscribe-all and the
// counts in every reply).
//
// Delivery: a message is encoded once per PUBLISH as a RESP frame and copied into each RESP
// subscriber's output queue (RESP3 differs in the first byte only: '>' push instead of '*');
// original-protocol subscribers get it through their reply writer. Subscribers are flushed
// together after the publishing event-loop callback (a microtask), and a subscriber whose
// unsent output passes `client-output-buffer-limit pubsub <hard> <soft> <seconds>` is cut off
// (closed after the callback, as Redis's CLOSE_ASAP) and gets nothing more meanwhile.

import { containerOnly, helpReply } from "../commands/connection.ts";
import type { SessionContext } from "../commands/context.ts";
import { type CommandDef, cmd } from "../commands/table.ts";
import { OutBuf } from "../protocol/outbuf.ts";
import { MODE_RESP2, MODE_RESP3, Reply } from "../protocol/reply.ts";
import { ByteDict } from "../store/bytedict.ts";
import { globMatch } from "../store/glob.ts";
import type { Client } from "./client.ts";
import { onClient } from "./multi.ts";

const EMPTY = new Uint8Array(0);
const enc = new TextEncoder();
const MESSAGE = enc.encode("message");
const PMESSAGE = enc.encode("pmessage");
const SMESSAGE = enc.encode("smessage");

/** `client-output-buffer-limit pubsub <hard> <soft> <seconds>` (bytes, bytes, seconds; 0 = none). */
export class OutputLimit {
  hard = 32 * 1024 * 1024;
  soft = 8 * 1024 * 1024;
  seconds = 60;
}

/** What one client is subscribed to (Redis's c->pubsub_channels / _patterns / shard channels). */
export class Subscriptions {
  channels: ByteDict | null = null;
  patterns: ByteDict | null = null;
  shard: ByteDict | null = null;
  /** Over its output limit: closed after this callback, sent nothing more meanwhile. */
  closeAsap = false;
  /** Unix ms the soft limit was first seen passed (0: under it). */
  softSince = 0;
  /** In PubSub's list of clients to flush. */
  flushQueued = false;
  /** Messages held for an original-protocol client that was mid-reply when they came. */
  deferred: (() => void)[] | null = null;

  /** Channels + patterns (the count SUBSCRIBE / PSUBSCRIBE replies carry). */
  get count(): number {
    return (this.channels?.size ?? 0) + (this.patterns?.size ?? 0);
  }

  get shardCount(): number {
    return this.shard?.size ?? 0;
  }

  /**
   * Every subscription: nonzero = the client is in pub/sub mode (Redis's CLIENT_PUBSUB). A
   * field, kept by recount(): the dispatcher reads it for every command.
   */
  total = 0;

  recount(): void {
    this.total = this.count + this.shardCount;
  }

  /** Redis's checkClientOutputBufferLimits for the pubsub class (soft: whole seconds). */
  overLimit(pending: number, lim: OutputLimit, now: number): boolean {
    const hard = lim.hard > 0 && pending >= lim.hard;
    let soft = lim.soft > 0 && pending >= lim.soft;
    if (soft) {
      const sec = Math.floor(now / 1000);
      if (this.softSince === 0) {
        this.softSince = sec;
        soft = false;
      } else if (sec - this.softSince <= lim.seconds) soft = false;
    } else this.softSince = 0;
    return hard || soft;
  }
}

/** Channel (or pattern) bytes -> subscribed clients, in subscription order. */
export class Registry {
  readonly dict = new ByteDict(false);
  readonly subs: Client[][] = [];

  get size(): number {
    return this.dict.size;
  }

  add(buf: Uint8Array, off: number, len: number, cl: Client): void {
    let id = this.dict.find(buf, off, len);
    if (id < 0) {
      id = this.dict.add(buf, off, len, EMPTY, 0, 0);
      this.subs[id] = [];
    }
    this.subs[id]!.push(cl);
  }

  remove(buf: Uint8Array, off: number, len: number, cl: Client): void {
    const id = this.dict.find(buf, off, len);
    if (id < 0) return;
    const list = this.subs[id]!;
    const i = list.indexOf(cl);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) {
      this.dict.delete(id);
      this.subs[id] = NO_CLIENTS;
    }
  }

  /** Subscribers of a channel (empty if none). */
  find(buf: Uint8Array, off: number, len: number): readonly Client[] {
    const id = this.dict.find(buf, off, len);
    return id < 0 ? NO_CLIENTS : this.subs[id]!;
  }
}

const NO_CLIENTS: Client[] = [];

/** The server's pub/sub state and delivery. */
export class PubSub {
  readonly channels = new Registry();
  readonly patterns = new Registry();
  readonly shard = new Registry();
  readonly limit = new OutputLimit();
  /** Clock for the soft limit (the server's ms clock). */
  now: () => number = Date.now;
  logWarn: (msg: string) => void = () => {};
  private pending: Client[] = [];
  private flushScheduled = false;
  private readonly flushPendingBound = () => this.flushPending();
  // The RESP frame of the message being published, built once per PUBLISH.
  private readonly frameOut = new OutBuf();
  private readonly frameReply = new Reply(this.frameOut);
  private frameBuilt = false;

  constructor() {
    this.frameReply.mode = MODE_RESP2;
  }

  /** PUBLISH: deliver to channel subscribers, then to matching patterns; the receiver count. */
  publish(cbuf: Uint8Array, coff: number, clen: number, m: Uint8Array, mo: number, ml: number) {
    let n = 0;
    const subs = this.channels.find(cbuf, coff, clen);
    if (subs.length > 0) {
      this.frameBuilt = false;
      for (let i = 0; i < subs.length; i++) {
        this.deliver(subs[i]!, MESSAGE, null, 0, 0, cbuf, coff, clen, m, mo, ml);
      }
      n += subs.length;
    }
    const pats = this.patterns;
    if (pats.size > 0) {
      const d = pats.dict;
      for (let id = d.nextLive(0); id >= 0; id = d.nextLive(id + 1)) {
        const po = d.keyOff(id);
        const pl = d.keyLen(id);
        if (!globMatch(d.memOf(id), po, pl, cbuf, coff, clen)) continue;
        const list = pats.subs[id]!;
        this.frameBuilt = false;
        // Copy the pattern out: a subscriber's close could not edit the dict now (closes are
        // deferred), but the frame builder reads it after other work.
        const pat = d.memOf(id).slice(po, po + pl);
        for (let i = 0; i < list.length; i++) {
          this.deliver(list[i]!, PMESSAGE, pat, 0, pl, cbuf, coff, clen, m, mo, ml);
        }
        n += list.length;
      }
    }
    return n;
  }

  /** SPUBLISH (standalone: no slots). */
  spublish(cbuf: Uint8Array, coff: number, clen: number, m: Uint8Array, mo: number, ml: number) {
    const subs = this.shard.find(cbuf, coff, clen);
    this.frameBuilt = false;
    for (let i = 0; i < subs.length; i++) {
      this.deliver(subs[i]!, SMESSAGE, null, 0, 0, cbuf, coff, clen, m, mo, ml);
    }
    return subs.length;
  }

  private deliver(
    cl: Client,
    kind: Uint8Array,
    pat: Uint8Array | null,
    po: number,
    pl: number,
    cbuf: Uint8Array,
    coff: number,
    clen: number,
    m: Uint8Array,
    mo: number,
    ml: number,
  ): void {
    const s = cl.subs;
    if (cl.closed || s.closeAsap) return;
    const r = cl.reply;
    if (r.mode >= MODE_RESP2) {
      const f = this.frameOut;
      if (!this.frameBuilt) {
        f.start = 0;
        f.end = 0;
        writeMessage(this.frameReply, kind, pat, po, pl, cbuf, coff, clen, m, mo, ml);
        this.frameBuilt = true;
      }
      const len = f.end - f.start;
      cl.out.bytes(f.buf, f.start, len);
      if (r.mode === MODE_RESP3) cl.out.buf[cl.out.end - len] = 62; // '>' push
    } else if (r.idle) {
      writeMessage(r, kind, pat, po, pl, cbuf, coff, clen, m, mo, ml);
    } else {
      // An original-protocol client in the middle of its own reply (it published to itself
      // inside EXEC): its framing cannot take a frame now, so the message waits for the flush.
      const p = pat === null ? null : pat.slice(po, po + pl);
      const ch = cbuf.slice(coff, coff + clen);
      const msg = m.slice(mo, mo + ml);
      if (s.deferred === null) s.deferred = [];
      s.deferred.push(() =>
        writeMessage(r, kind, p, 0, p?.length ?? 0, ch, 0, ch.length, msg, 0, msg.length),
      );
    }
    if (s.overLimit(cl.out.pending, this.limit, this.now())) {
      s.closeAsap = true;
      this.logWarn(
        `Client id=${cl.id} addr=${cl.addr} scheduled to be closed ASAP for overcoming of output buffer limits.`,
      );
    }
    this.queueFlush(cl);
  }

  /** Flush cl after the current callback (with every other client written to meanwhile). */
  queueFlush(cl: Client): void {
    const s = cl.subs;
    if (s.flushQueued) return;
    s.flushQueued = true;
    this.pending.push(cl);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flushPendingBound);
    }
  }

  /** Send what was written to subscribers; close the ones over their output limit. */
  flushPending(): void {
    this.flushScheduled = false;
    const list = this.pending;
    this.pending = [];
    for (const cl of list) {
      const s = cl.subs;
      s.flushQueued = false;
      if (cl.closed) continue;
      if (s.closeAsap) {
        cl.close();
        continue;
      }
      if (s.deferred !== null && cl.reply.idle) {
        const d = s.deferred;
        s.deferred = null;
        for (const w of d) w();
      }
      cl.flush();
    }
  }

  // ---- subscribing ----------------------------------------------------------------------

  /** SUBSCRIBE / SSUBSCRIBE one channel; replies the confirmation. */
  subscribe(cl: Client, c: SessionContext, i: number, shard: boolean): void {
    const a = c.argv;
    const s = cl.subs;
    if (shard && s.shard === null) s.shard = new ByteDict(false);
    if (!shard && s.channels === null) s.channels = new ByteDict(false);
    const own = (shard ? s.shard : s.channels)!;
    if (own.find(a.buf, a.off(i), a.len(i)) < 0) {
      own.add(a.buf, a.off(i), a.len(i), EMPTY, 0, 0);
      (shard ? this.shard : this.channels).add(a.buf, a.off(i), a.len(i), cl);
      s.recount();
    }
    const r = c.reply;
    r.push(3);
    r.bulkStr(shard ? "ssubscribe" : "subscribe");
    r.bulk(a.buf, a.off(i), a.len(i));
    r.int(shard ? s.shardCount : s.count);
  }

  psubscribe(cl: Client, c: SessionContext, i: number): void {
    const a = c.argv;
    const s = cl.subs;
    if (s.patterns === null) s.patterns = new ByteDict(false);
    const own = s.patterns;
    if (own.find(a.buf, a.off(i), a.len(i)) < 0) {
      own.add(a.buf, a.off(i), a.len(i), EMPTY, 0, 0);
      this.patterns.add(a.buf, a.off(i), a.len(i), cl);
      s.recount();
    }
    const r = c.reply;
    r.push(3);
    r.bulkStr("psubscribe");
    r.bulk(a.buf, a.off(i), a.len(i));
    r.int(s.count);
  }

  /**
   * Remove one subscription of cl (kind: 0 channel, 1 pattern, 2 shard) given its bytes;
   * reply the unsubscribe confirmation when `reply` is set. Returns whether it was there.
   */
  unsubscribe(
    cl: Client,
    kind: number,
    buf: Uint8Array,
    off: number,
    len: number,
    reply: Reply | null,
  ): boolean {
    const s = cl.subs;
    const own = kind === 0 ? s.channels : kind === 1 ? s.patterns : s.shard;
    const reg = kind === 0 ? this.channels : kind === 1 ? this.patterns : this.shard;
    let was = false;
    if (own !== null) {
      const id = own.find(buf, off, len);
      if (id >= 0) {
        reg.remove(buf, off, len, cl);
        own.delete(id);
        s.recount();
        was = true;
      }
    }
    if (reply !== null) {
      reply.push(3);
      reply.bulkStr(UNSUB_NAMES[kind]!);
      reply.bulk(buf, off, len);
      reply.int(kind === 2 ? s.shardCount : s.count);
    }
    return was;
  }

  /** Unsubscribe from every channel (kind 0), pattern (1) or shard channel (2). */
  unsubscribeAll(cl: Client, kind: number, reply: Reply | null): void {
    const s = cl.subs;
    const own = kind === 0 ? s.channels : kind === 1 ? s.patterns : s.shard;
    let n = 0;
    if (own !== null && own.size > 0) {
      for (let id = own.nextLive(0); id >= 0; id = own.nextLive(id + 1)) {
        // Copy: unsubscribe deletes the record (and may compact the dict's bytes).
        const key = own.memOf(id).slice(own.keyOff(id), own.keyOff(id) + own.keyLen(id));
        this.unsubscribe(cl, kind, key, 0, key.length, reply);
        n++;
      }
    }
    if (reply !== null && n === 0) {
      reply.push(3);
      reply.bulkStr(UNSUB_NAMES[kind]!);
      reply.nil();
      reply.int(kind === 2 ? s.shardCount : s.count);
    }
  }

  /** The client is gone (or RESET): every subscription goes, nothing is replied. */
  removeClient(cl: Client): void {
    const s = cl.subs;
    if (s.total > 0) {
      this.unsubscribeAll(cl, 0, null);
      this.unsubscribeAll(cl, 1, null);
      this.unsubscribeAll(cl, 2, null);
    }
    s.channels = null;
    s.patterns = null;
    s.shard = null;
    s.recount();
    s.softSince = 0;
  }
}

const UNSUB_NAMES = ["unsubscribe", "punsubscribe", "sunsubscribe"];

/** A pub/sub message: [kind, (pattern,) channel, payload] as a push (an array in RESP2). */
function writeMessage(
  r: Reply,
  kind: Uint8Array,
  pat: Uint8Array | null,
  po: number,
  pl: number,
  cbuf: Uint8Array,
  coff: number,
  clen: number,
  m: Uint8Array,
  mo: number,
  ml: number,
): void {
  r.push(pat === null ? 3 : 4);
  r.bulk(kind, 0, kind.length);
  if (pat !== null) r.bulk(pat, po, pl);
  r.bulk(cbuf, coff, clen);
  r.bulk(m, mo, ml);
}

// ---- the commands --------------------------------------------------------------------------

function subscribe(cl: Client, c: SessionContext): void {
  const ps = cl.server.pubsub;
  for (let i = 1; i < c.argv.count; i++) ps.subscribe(cl, c, i, false);
}

function ssubscribe(cl: Client, c: SessionContext): void {
  const ps = cl.server.pubsub;
  for (let i = 1; i < c.argv.count; i++) ps.subscribe(cl, c, i, true);
}

function psubscribe(cl: Client, c: SessionContext): void {
  const ps = cl.server.pubsub;
  for (let i = 1; i < c.argv.count; i++) ps.psubscribe(cl, c, i);
}

function unsubscribeKind(kind: number) {
  return (cl: Client, c: SessionContext) => {
    const ps = cl.server.pubsub;
    const a = c.argv;
    if (a.count === 1) return ps.unsubscribeAll(cl, kind, c.reply);
    for (let i = 1; i < a.count; i++) ps.unsubscribe(cl, kind, a.buf, a.off(i), a.len(i), c.reply);
  };
}

function publish(cl: Client, c: SessionContext): void {
  const a = c.argv;
  c.reply.int(cl.server.pubsub.publish(a.buf, a.off(1), a.len(1), a.buf, a.off(2), a.len(2)));
}

function spublish(cl: Client, c: SessionContext): void {
  const a = c.argv;
  c.reply.int(cl.server.pubsub.spublish(a.buf, a.off(1), a.len(1), a.buf, a.off(2), a.len(2)));
}

/** PUBSUB CHANNELS / SHARDCHANNELS [pattern]. */
function channelList(which: "channels" | "shard") {
  return (cl: Client, c: SessionContext) => {
    const reg = cl.server.pubsub[which];
    const a = c.argv;
    if (a.count > 3) {
      return c.reply.error(
        `ERR unknown subcommand or wrong number of arguments for '${a.latin1(1)}'. Try PUBSUB HELP.`,
      );
    }
    const d = reg.dict;
    const ids: number[] = [];
    for (let id = d.nextLive(0); id >= 0; id = d.nextLive(id + 1)) {
      if (
        a.count === 3 &&
        !globMatch(a.buf, a.off(2), a.len(2), d.memOf(id), d.keyOff(id), d.keyLen(id))
      )
        continue;
      ids.push(id);
    }
    c.reply.array(ids.length);
    for (const id of ids) c.reply.bulk(d.memOf(id), d.keyOff(id), d.keyLen(id));
  };
}

/** PUBSUB NUMSUB / SHARDNUMSUB [channel ...]: channel, count pairs. */
function numsub(which: "channels" | "shard") {
  return (cl: Client, c: SessionContext) => {
    const reg = cl.server.pubsub[which];
    const a = c.argv;
    c.reply.array((a.count - 2) * 2);
    for (let i = 2; i < a.count; i++) {
      c.reply.bulk(a.buf, a.off(i), a.len(i));
      c.reply.int(reg.find(a.buf, a.off(i), a.len(i)).length);
    }
  };
}

const PUBSUB_HELP = [
  "CHANNELS [<pattern>]",
  "    Return the currently active channels matching a <pattern> (default: '*').",
  "NUMPAT",
  "    Return number of subscriptions to patterns.",
  "NUMSUB [<channel> ...]",
  "    Return the number of subscribers for the specified channels, excluding",
  "    pattern subscriptions(default: no channels).",
  "SHARDCHANNELS [<pattern>]",
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  "SHARDNUMSUB [<shardchannel> ...]",
  "    Return the number of subscribers for the specified shard level channel(s)",
];

/** The pub/sub commands; each reaches its server's PubSub through the calling Client. */
export const pubsubCommands: CommandDef[] = [
  cmd("subscribe", onClient(subscribe)),
  cmd("unsubscribe", onClient(unsubscribeKind(0))),
  cmd("psubscribe", onClient(psubscribe)),
  cmd("punsubscribe", onClient(unsubscribeKind(1))),
  cmd("ssubscribe", onClient(ssubscribe)),
  cmd("sunsubscribe", onClient(unsubscribeKind(2))),
  cmd("publish", onClient(publish)),
  cmd("spublish", onClient(spublish)),
  cmd("pubsub", containerOnly, {
    subcommands: [
      cmd("pubsub|channels", onClient(channelList("channels"))),
      cmd("pubsub|shardchannels", onClient(channelList("shard"))),
      cmd("pubsub|numsub", onClient(numsub("channels"))),
      cmd("pubsub|shardnumsub", onClient(numsub("shard"))),
      cmd(
        "pubsub|numpat",
        onClient((cl, c) => c.reply.int(cl.server.pubsub.patterns.size)),
      ),
      cmd("pubsub|help", (c) => helpReply(c, "PUBSUB", PUBSUB_HELP)),
    ],
  }),
];
