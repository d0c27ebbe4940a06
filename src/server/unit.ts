// Execution units: the commands that run as one atomic step. A plain command is its own unit;
// EXEC's queued commands (and, later, a script's) form one unit together. Subsystems that must
// treat a unit as a whole hang a UnitListener here instead of looking at individual commands:
// the append-only file wraps a unit's writes in MULTI ... EXEC, blocking commands serve the
// keys made ready only once the unit is over (as Redis's handleClientsBlockedOnKeys after
// call(), never inside EXEC).
//
// Units nest (a script inside EXEC is part of the EXEC): listeners hear only the outermost
// begin and end. Server.units is the one instance; Server.execute never calls it for a plain
// command, so a listener that needs per-command work also checks `units.active` after a call.

/** Told where an atomic unit of several commands begins and ends. */
export interface UnitListener {
  /** Before the first command of the unit runs (EXEC: after the WATCH/abort checks passed). */
  beginUnit(): void;
  /** After the last command of the unit ran (its replies are written, EXEC's array complete). */
  endUnit(): void;
}

export class Units {
  private listeners: UnitListener[] = [];
  private depth = 0;

  /** Inside a unit (between the outermost begin and end). */
  get active(): boolean {
    return this.depth > 0;
  }

  add(l: UnitListener): void {
    this.listeners.push(l);
  }

  remove(l: UnitListener): void {
    const i = this.listeners.indexOf(l);
    if (i >= 0) this.listeners.splice(i, 1);
  }

  begin(): void {
    if (this.depth++ > 0) return;
    for (const l of this.listeners) l.beginUnit();
  }

  end(): void {
    if (--this.depth > 0) return;
    if (this.depth < 0) this.depth = 0;
    for (const l of this.listeners) l.endUnit();
  }
}
