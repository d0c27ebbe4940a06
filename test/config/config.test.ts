import { expect, test } from "bun:test";
import { Config, ConfigError, loadConfig, parseMemory, splitConfigLine } from "../../src/config.ts";

test("memory units are Redis's", () => {
  expect(parseMemory("10mb")).toBe(10485760);
  expect(parseMemory("10m")).toBe(10000000);
  expect(parseMemory("1gb")).toBe(1073741824);
  expect(parseMemory("1k")).toBe(1000);
  expect(parseMemory("1KB")).toBe(1024);
  expect(parseMemory("123")).toBe(123);
  expect(parseMemory("1.5mb")).toBeNaN();
  expect(parseMemory("mb")).toBeNaN();
});

test("defaults: bind 127.0.0.1, port 6677, dir = cwd", () => {
  const c = new Config();
  expect(c.get("bind")).toBe("127.0.0.1");
  expect(c.int("port")).toBe(6677);
  expect(c.get("dir")).toBe(process.cwd());
  expect(c.int("proto-max-bulk-len")).toBe(512 * 1024 * 1024);
});

test("set validates like CONFIG SET", () => {
  const c = new Config();
  c.set("maxmemory", "100mb");
  expect(c.int("maxmemory")).toBe(104857600);
  expect(c.get("maxmemory")).toBe("104857600");
  c.set("maxmemory-policy", "ALLKEYS-LRU");
  expect(c.get("maxmemory-policy")).toBe("allkeys-lru");
  expect(() => c.set("maxmemory-policy", "sometimes")).toThrow(ConfigError);
  expect(() => c.set("port", "1234")).toThrow("can't set immutable config");
  expect(() => c.set("hz", "0")).toThrow("argument must be between 1 and 500 inclusive");
  expect(() => c.set("appendonly", "maybe")).toThrow("yes");
  // The AOF is accepted; save points are validated as Redis does.
  c.set("appendonly", "yes");
  expect(() => c.set("save", "900")).toThrow("Invalid save parameters");
  c.set("appendonly", "no");
  c.set("save", "");
  expect(c.get("save")).toBe("");
  c.set("client-output-buffer-limit", "normal 1mb 0 0");
  expect(c.get("client-output-buffer-limit")).toBe(
    "normal 1048576 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
  );
});

test("start line: file then flags; multi-word values; quotes", () => {
  const files: Record<string, string> = {
    "/x.conf": 'port 7000\nclient-output-buffer-limit normal 1mb 0 0\nrequirepass "a b"\n',
  };
  const c = loadConfig(
    [
      "/x.conf",
      "--port",
      "7001",
      "--save",
      "",
      "--client-output-buffer-limit",
      "normal",
      "2mb",
      "0",
      "0",
    ],
    (p) => files[p]!,
  );
  expect(c.int("port")).toBe(7001);
  expect(c.get("save")).toBe("");
  expect(c.get("client-output-buffer-limit").startsWith("normal 2097152 0 0 ")).toBe(true);
  expect(c.get("requirepass")).toBe("a b");
  expect(splitConfigLine(`bind "127.0.0.1" '::1'`)).toEqual(["bind", "127.0.0.1", "::1"]);
});
