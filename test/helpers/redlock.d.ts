// redlock 5.0.0-beta.2 ships its types at dist/index.d.ts, which its package.json "exports"
// does not name, so TypeScript cannot resolve them; these are the parts the tests use.
declare module "redlock" {
  import type Redis from "ioredis";
  export interface Lock {
    extend(duration: number): Promise<Lock>;
    release(): Promise<unknown>;
  }
  export default class Redlock {
    constructor(clients: Redis[], settings?: { retryCount?: number; retryDelay?: number });
    acquire(resources: string[], duration: number): Promise<Lock>;
  }
}
