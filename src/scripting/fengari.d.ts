// fengari ships no type declarations; the scripting core uses its C-like API (lua_*, luaL_*)
// through these loose declarations and keeps every call site in src/scripting/.
declare module "fengari" {
  // biome-ignore lint/suspicious/noExplicitAny: untyped JS library
  export const lua: any;
  // biome-ignore lint/suspicious/noExplicitAny: untyped JS library
  export const lauxlib: any;
  // biome-ignore lint/suspicious/noExplicitAny: untyped JS library
  export const lualib: any;
  export function to_luastring(s: string, cache?: boolean): Uint8Array;
  export function to_jsstring(
    b: Uint8Array,
    from?: number,
    to?: number,
    replacement?: boolean,
  ): string;
}
