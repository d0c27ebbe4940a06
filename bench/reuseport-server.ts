// imds with SO_REUSEPORT on its listener (an experiment, not a supported mode): Bun.listen is
// wrapped to pass `reusePort: true`, then src/main.ts runs with the same arguments. Two of
// these on one port split the connections between two processes, each with its own keyspace:
// NOT correct semantics (a key set through one is absent in the other), only the upper bound
// of what keyspace sharding over two cores could give. Used by bench/multicore.ts.
//
//   bun bench/reuseport-server.ts --port N [imds options]

const listen = Bun.listen;
(Bun as { listen: unknown }).listen = (opts: Parameters<typeof Bun.listen>[0]) =>
  listen({ ...opts, reusePort: true } as Parameters<typeof Bun.listen>[0]);
await import("../src/main.ts");
