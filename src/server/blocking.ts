// Blocked clients (BLPOP, BLMOVE, BZPOPMIN, later XREAD BLOCK), modelled on Redis's blocked.c.
//
// A blocking command that finds nothing to serve calls ctx.block(first, nkeys, type,
// deadline) (src/commands/context.ts). The client is parked: a copy of its request is kept,
// it is queued, in arrival order, on each (db, key) it waits for, and its connection stops
// executing input until it is unblocked (src/server/client.ts).
//
// A key becomes READY when a write signals it: this is a KeyObserver on the keyspace's one
// write signal, so every path that creates or changes a key (push, LMOVE, RENAME, MOVE,
// SWAPDB, a transaction, a script) counts without the commands knowing. Ready keys are served
// by serveReady(), which the server calls after each top-level command (so after a whole
// EXEC or script too): for each ready key, while it holds a value of the type a waiter wants,
// the first waiter's command runs again with its own arguments. The command decides: it
// replies (served; the client is unblocked) or calls block() again (it stays blocked, keeping
// its place and deadline). A served command's writes can make other keys ready (BLMOVE into a
// key another client waits on); the loop runs until no key is ready.
//
// Deadlines: one timer per blocked client with a deadline, plus the cron's sweep. Timeout,
// CLIENT UNBLOCK TIMEOUT: a null array; CLIENT UNBLOCK ERROR: -UNBLOCKED. A client that
// disconnects is dropped from every queue. Unblocked clients resume their pending input after
// the serving loop, never inside another client's command.

import { fail } from "../assert.ts";
import type { BlockingHost, CommandContext, SessionContext } from "../commands/context.ts";
import type { CommandSpec } from "../commands/table.ts";
import { Args } from "../protocol/args.ts";
import { latin1 } from "../protocol/number.ts";
import type { KeyObserver, NotifyClass } from "../store/notify.ts";
import { TYPE_STREAM } from "../store/table.ts";
import type { Client } from "./client.ts";
import type { Server } from "./server.ts";

/** The clients waiting on one (db, key), in the order they blocked. */
class WaitQueue {
  readonly clients: Client[] = [];
  ready = false;
  constructor(
    readonly id: string,
    readonly db: number,
    readonly key: Uint8Array,
  ) {}
}

/** What a blocked client waits for, and the request to run again. */
export class BlockedCall {
  readonly queues: WaitQueue[] = [];
  timer: ReturnType<typeof setTimeout> | null = null;
  constructor(
    readonly spec: CommandSpec,
    readonly argv: Args,
    readonly db: number,
    readonly type: number,
    readonly deadline: number,
  ) {}
}

export const UNBLOCKED_ERROR = "UNBLOCKED client unblocked via CLIENT UNBLOCK";
/** What an XREADGROUP waiter gets when its stream key goes away (Redis 7.0's text). */
const STREAM_GONE_ERROR = "UNBLOCKED the stream key no longer exists";

export class Blocking implements KeyObserver, BlockingHost {
  private readonly server: Server;
  /** Wait queues by "db:key" (key bytes as latin1). Control-plane state, only while blocked. */
  private readonly queues = new Map<string, WaitQueue>();
  private readyList: WaitQueue[] = [];
  /** Blocked clients (INFO blocked_clients is its size). */
  readonly blocked = new Set<Client>();
  /** Clients unblocked since the last serveReady: their pending input runs there. */
  private resumeList: Client[] = [];
  /** The client whose command is being run again, and whether it called block() again. */
  private rerunning: Client | null = null;
  private reblocked = false;
  private serving = false;

  constructor(server: Server) {
    this.server = server;
  }

  get count(): number {
    return this.blocked.size;
  }

  /** Blocked clients with a deadline (INFO clients_in_timeout_table). */
  get withDeadline(): number {
    let n = 0;
    for (const c of this.blocked) if (c.blockedOn!.deadline > 0) n++;
    return n;
  }

  // ---- BlockingHost: the command side ----------------------------------------------------

  block(
    ctx: CommandContext,
    first: number,
    nkeys: number,
    type: number,
    deadline: number,
    rerunArgv?: Args,
  ): void {
    const client = (ctx as SessionContext).client as Client;
    if (this.rerunning === client) {
      this.reblocked = true; // stays blocked where it was
      return;
    }
    if (client.blockedOn !== null) fail("block(): client already blocked");
    const a = ctx.argv;
    const spec = this.server.commands.lookup(a.buf, a.off(0), a.len(0));
    if (spec === undefined) fail("block(): command not in the table");
    const call = new BlockedCall(spec, copyArgs(rerunArgv ?? a), ctx.db, type, deadline);
    for (let i = first; i < first + nkeys; i++) {
      const id = `${ctx.db}:${latin1(a.buf, a.off(i), a.len(i))}`;
      let q = this.queues.get(id);
      if (q === undefined) {
        q = new WaitQueue(id, ctx.db, a.copy(i));
        this.queues.set(id, q);
      }
      if (call.queues.includes(q)) continue; // BLPOP k k 0
      q.clients.push(client);
      call.queues.push(q);
    }
    client.blockedOn = call;
    this.blocked.add(client);
    if (deadline > 0) {
      call.timer = setTimeout(() => this.onTimer(client), Math.max(0, deadline - Date.now()));
    }
  }

  // ---- KeyObserver: which keys became ready --------------------------------------------

  keyModified(
    db: number,
    buf: Uint8Array,
    off: number,
    len: number,
    _cls: NotifyClass,
    _event: string,
  ): void {
    if (this.queues.size === 0) return; // nothing blocked: no work on the write path
    const q = this.queues.get(`${db}:${latin1(buf, off, len)}`);
    if (q !== undefined) this.markReady(q);
  }

  flushed(_db: number): void {}

  swapped(a: number, b: number): void {
    for (const q of this.queues.values()) if (q.db === a || q.db === b) this.markReady(q);
  }

  private markReady(q: WaitQueue): void {
    if (q.ready) return;
    q.ready = true;
    this.readyList.push(q);
  }

  // ---- serving -----------------------------------------------------------------------

  /**
   * Serve the clients blocked on keys made ready since the last call, then let unblocked
   * clients run their pending input. Called by the server after every top-level command
   * (EXEC and scripts count as one), and after timers.
   */
  serveReady(): void {
    if (this.serving) return;
    if (this.readyList.length === 0 && this.resumeList.length === 0) return;
    this.serving = true;
    try {
      while (this.readyList.length > 0) {
        const batch = this.readyList;
        this.readyList = [];
        for (const q of batch) {
          q.ready = false;
          this.serveQueue(q);
        }
      }
    } finally {
      this.serving = false;
    }
    while (this.resumeList.length > 0) {
      const list = this.resumeList;
      this.resumeList = [];
      for (const c of list) c.resumeAfterBlock();
    }
  }

  private serveQueue(q: WaitQueue): void {
    const ks = this.server.keyspace;
    let i = 0;
    while (i < q.clients.length) {
      const e = ks.lookupNoTouch(q.db, q.key, 0, q.key.length);
      const client = q.clients[i]!;
      const call = client.blockedOn!;
      const type = e < 0 ? 0 : ks.dbs[q.db]!.type[e]!;
      if (type !== call.type) {
        // Redis 7.0: a consumer-group reader whose stream is gone (deleted, or replaced by
        // another type) is unblocked with an error; every other waiter keeps waiting.
        if (call.type === TYPE_STREAM && call.spec.name === "xreadgroup") {
          client.reply.error(STREAM_GONE_ERROR);
          this.unblock(client);
        } else i++;
        continue;
      }
      if (!this.rerun(client, call)) i++;
      // served: unblock() took the client out of q.clients, so index i is the next waiter
    }
  }

  /** Run the blocked command again; true if it was served (replied). */
  private rerun(client: Client, call: BlockedCall): boolean {
    const ctx = client.ctx;
    const saved = ctx.argv;
    const savedDb = ctx.db;
    ctx.argv = call.argv;
    ctx.db = call.db;
    ctx.commandName = call.spec.name;
    this.rerunning = client;
    this.reblocked = false;
    ctx.servingBlocked = true;
    try {
      call.spec.handler(ctx);
    } catch (e) {
      const err = e as Error;
      fail(`uncaught exception in '${call.spec.name}' (served after blocking): ${err.stack}`);
    }
    ctx.servingBlocked = false;
    this.rerunning = null;
    ctx.argv = saved;
    ctx.db = savedDb;
    if (this.reblocked) return false;
    this.unblock(client);
    return true;
  }

  // ---- ending a block -----------------------------------------------------------------

  /** Take the client out of every queue; its pending input resumes at the next serveReady. */
  private unblock(client: Client): void {
    this.detach(client);
    this.resumeList.push(client);
  }

  private detach(client: Client): void {
    const call = client.blockedOn;
    if (call === null) return;
    for (const q of call.queues) {
      const k = q.clients.indexOf(client);
      if (k >= 0) q.clients.splice(k, 1);
      if (q.clients.length === 0) this.queues.delete(q.id);
    }
    if (call.timer !== null) clearTimeout(call.timer);
    client.blockedOn = null;
    this.blocked.delete(client);
  }

  /** The client disconnected: no trace left. */
  remove(client: Client): void {
    this.detach(client);
  }

  /** Timeout (or CLIENT UNBLOCK TIMEOUT): a null array; ERROR: -UNBLOCKED. */
  private endWithReply(client: Client, withError: boolean): void {
    if (withError) client.reply.error(UNBLOCKED_ERROR);
    else client.reply.nilArray();
    this.unblock(client);
  }

  /** CLIENT UNBLOCK: false if the client is not blocked. */
  unblockClient(client: Client, withError: boolean): boolean {
    if (client.blockedOn === null) return false;
    this.endWithReply(client, withError);
    return true;
  }

  /** The cron's sweep (the timers are the precise path). */
  checkTimeouts(now: number): void {
    if (this.blocked.size === 0) return;
    let any = false;
    for (const c of this.blocked) {
      const d = c.blockedOn!.deadline;
      if (d > 0 && d <= now) {
        this.endWithReply(c, false);
        any = true;
      }
    }
    if (any) this.serveReady();
  }

  private onTimer(client: Client): void {
    const call = client.blockedOn;
    if (call === null) return;
    call.timer = null;
    const s = this.server;
    s.now = Date.now();
    s.keyspace.setNow(s.now);
    if (call.deadline > s.now) {
      // early wake-up (timer granularity): wait for the rest
      call.timer = setTimeout(() => this.onTimer(client), call.deadline - s.now);
      return;
    }
    this.endWithReply(client, false);
    this.serveReady();
  }
}

/** A copy of the request that outlives the socket chunk it was decoded from. */
function copyArgs(a: Args): Args {
  let total = 0;
  for (let i = 0; i < a.count; i++) total += a.len(i);
  const out = new Args(Math.max(4, a.count));
  const buf = new Uint8Array(total);
  let p = 0;
  for (let i = 0; i < a.count; i++) {
    const o = a.off(i);
    const l = a.len(i);
    buf.set(a.buf.subarray(o, o + l), p);
    out.offs[i] = p;
    out.lens[i] = l;
    p += l;
  }
  out.buf = buf;
  out.count = a.count;
  return out;
}
