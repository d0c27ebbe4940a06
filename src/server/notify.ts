// Keyspace notifications (notify-keyspace-events), as Redis 7.0's notify.c: a KeyObserver on the
// keyspace's write signal that publishes each signalled event of an enabled class on
//   __keyspace@<db>__:<key>    with the event name as the message (class K), and
//   __keyevent@<db>__:<event>  with the key as the message (class E).
// Every family already signals (db, key, class, event) with Redis's names; the store signals
// "expired" when it removes an expired key and "evicted" on eviction. "keymiss" (class m)
// comes from the lookup layer's miss hook (Keyspace.onKeyMiss). Class n ("new", Redis's dbAdd)
// comes from the store's key-created hook (Table.onAdded), before the command's own event.
//
// The observer is attached only while the option enables K or E with some class, so writes
// pay nothing when notifications are off (the default).

import type { Keyspace } from "../store/keyspace.ts";
import {
  type KeyObserver,
  NOTIFY_ALL,
  NOTIFY_EVICTED,
  NOTIFY_EXPIRED,
  NOTIFY_GENERIC,
  NOTIFY_HASH,
  NOTIFY_KEY_MISS,
  NOTIFY_KEYEVENT,
  NOTIFY_KEYSPACE,
  NOTIFY_LIST,
  NOTIFY_MODULE,
  NOTIFY_NEW,
  NOTIFY_SET,
  NOTIFY_STREAM,
  NOTIFY_STRING,
  NOTIFY_ZSET,
  type NotifyClass,
} from "../store/notify.ts";
import type { Table } from "../store/table.ts";
import type { PubSub } from "./pubsub.ts";

const CLASS_CHARS: Record<string, number> = {
  A: NOTIFY_ALL,
  g: NOTIFY_GENERIC,
  $: NOTIFY_STRING,
  l: NOTIFY_LIST,
  s: NOTIFY_SET,
  h: NOTIFY_HASH,
  z: NOTIFY_ZSET,
  x: NOTIFY_EXPIRED,
  e: NOTIFY_EVICTED,
  K: NOTIFY_KEYSPACE,
  E: NOTIFY_KEYEVENT,
  t: NOTIFY_STREAM,
  m: NOTIFY_KEY_MISS,
  d: NOTIFY_MODULE,
  n: NOTIFY_NEW,
};

/** keyspaceEventsStringToFlags (the option's value is already validated by src/config.ts). */
export function keyspaceEventFlags(s: string): number {
  let f = 0;
  for (const ch of s) f |= CLASS_CHARS[ch] ?? 0;
  return f;
}

const enc = new TextEncoder();

export class KeyspaceNotifier implements KeyObserver {
  /** NOTIFY_* bits of notify-keyspace-events. */
  flags = 0;
  private readonly keyspace: Keyspace;
  private readonly pubsub: PubSub;
  private attached = false;
  /** "__keyspace@<db>__:" and "__keyevent@<db>__:" per db, encoded once. */
  private readonly spacePrefix: Uint8Array[] = [];
  private readonly eventPrefix: Uint8Array[] = [];
  /** Event names as bytes: Redis's fixed vocabulary, a few dozen words. */
  private readonly eventBytes = new Map<string, Uint8Array>();
  private chan = new Uint8Array(256);
  private readonly onMiss = (db: number, buf: Uint8Array, off: number, len: number) =>
    this.publishEvent(db, buf, off, len, "keymiss");
  private readonly onAdded = (t: Table, e: number) => {
    const key = t.keyBytes(e);
    this.publishEvent(t.dbIndex, key, 0, key.length, "new");
  };

  constructor(keyspace: Keyspace, pubsub: PubSub) {
    this.keyspace = keyspace;
    this.pubsub = pubsub;
  }

  /** Apply notify-keyspace-events; attach or detach the observer and the key-miss hook. */
  configure(value: string): void {
    this.flags = keyspaceEventFlags(value);
    const on = (this.flags & (NOTIFY_KEYSPACE | NOTIFY_KEYEVENT)) !== 0;
    const classes = on && (this.flags & ~(NOTIFY_KEYSPACE | NOTIFY_KEYEVENT)) !== 0;
    if (classes && !this.attached) this.keyspace.addObserver(this);
    if (!classes && this.attached) this.keyspace.removeObserver(this);
    this.attached = classes;
    this.keyspace.onKeyMiss = classes && (this.flags & NOTIFY_KEY_MISS) !== 0 ? this.onMiss : null;
    this.keyspace.setKeyAddedHook(classes && (this.flags & NOTIFY_NEW) !== 0 ? this.onAdded : null);
  }

  keyModified(
    db: number,
    buf: Uint8Array,
    off: number,
    len: number,
    cls: NotifyClass,
    event: string,
  ): void {
    if ((this.flags & cls) === 0) return;
    this.publishEvent(db, buf, off, len, event);
  }

  flushed(): void {}
  swapped(): void {}

  /** notifyKeyspaceEvent's two publications. */
  private publishEvent(db: number, buf: Uint8Array, off: number, len: number, event: string) {
    const ps = this.pubsub;
    if (ps.channels.size === 0 && ps.patterns.size === 0) return; // nobody can hear it
    let ev = this.eventBytes.get(event);
    if (ev === undefined) {
      ev = enc.encode(event);
      this.eventBytes.set(event, ev);
    }
    if ((this.flags & NOTIFY_KEYSPACE) !== 0) {
      let p = this.spacePrefix[db];
      if (p === undefined) {
        p = enc.encode(`__keyspace@${db}__:`);
        this.spacePrefix[db] = p;
      }
      const n = this.channel(p, buf, off, len);
      ps.publish(this.chan, 0, n, ev, 0, ev.length);
    }
    if ((this.flags & NOTIFY_KEYEVENT) !== 0) {
      let p = this.eventPrefix[db];
      if (p === undefined) {
        p = enc.encode(`__keyevent@${db}__:`);
        this.eventPrefix[db] = p;
      }
      const n = this.channel(p, ev, 0, ev.length);
      ps.publish(this.chan, 0, n, buf, off, len);
    }
  }

  /** prefix + bytes in the scratch channel buffer; its length. */
  private channel(prefix: Uint8Array, buf: Uint8Array, off: number, len: number): number {
    const n = prefix.length + len;
    if (this.chan.length < n) {
      let size = this.chan.length * 2;
      while (size < n) size *= 2;
      this.chan = new Uint8Array(size);
    }
    this.chan.set(prefix, 0);
    this.chan.set(buf.subarray(off, off + len), prefix.length);
    return n;
  }
}
