// Lua source run once per Lua state, before any user script: it turns the Lua 5.4 standard world
// into the one Redis 7.0 scripts see (Lua 5.1 names and number printing, the redis/bit/struct/
// cjson/cmsgpack libraries, read-only globals). The JS side (engine.ts) has already put the native
// pieces in the registry-backed global `__imds` (call, pcall, sha1hex, log, setresp...). Written in
// Lua because these are Lua-shaped semantics; the hot path (redis.call) stays native.

export const PRELUDE = String.raw`
local N = __imds
__imds = nil
local type, tostring, tonumber, error, select, pairs, ipairs, rawget, rawset =
  type, tostring, tonumber, error, select, pairs, ipairs, rawget, rawset
local setmetatable, getmetatable, rawpcall = setmetatable, getmetatable, pcall
local sfmt, ssub, sbyte, schar, srep, sfind, sgsub = string.format, string.sub, string.byte,
  string.char, string.rep, string.find, string.gsub
local mtype, floor, huge = math.type, math.floor, math.huge
local tconcat, tunpack, tinsert, tpack, tsort = table.concat, table.unpack, table.insert, table.pack, table.sort
local spack, sunpack, spacksize = string.pack, string.unpack, string.packsize
local toint, uchar = math.tointeger, utf8.char
local getinfo = debug.getinfo
local rawload = load

-- ---- Lua 5.1 numbers: every number prints as %.14g (5.4 prints 5.0 for floats) -----------
local function num2str(n) return sfmt("%.14g", n) end
local function tostring51(v)
  if type(v) == "number" then return num2str(v) end
  return tostring(v)
end
local function tostr_args(...)
  local n = select("#", ...)
  if n == 0 then error("bad argument #1 to 'tostring' (value expected)", 2) end
  return tostring51((...))
end

-- string.format: %d/%i/%x/%o/%c truncate floats as 5.1 did; %s prints numbers as 5.1
local function format51(fmt, ...)
  local args = tpack(...)
  local i = 0
  for spec in string.gmatch(fmt, "%%[-+ #0]*%d*%.?%d*(%a?)") do
    if spec ~= "" then
      i = i + 1
      local a = args[i]
      if type(a) == "number" then
        if spec == "d" or spec == "i" or spec == "x" or spec == "X" or spec == "o" or spec == "c" or spec == "u" then
          if mtype(a) == "float" and a == a and a ~= huge and a ~= -huge then
            args[i] = a >= 0 and floor(a) or -floor(-a)
            if mtype(args[i]) == "float" then args[i] = toint(args[i]) or args[i] end
          end
        elseif spec == "s" then args[i] = num2str(a) end
      end
    end
  end
  return sfmt(fmt, tunpack(args, 1, args.n))
end

local function concat51(t, sep, i, j)
  i = i or 1
  j = j or #t
  local parts = {}
  for k = i, j do
    local v = t[k]
    if type(v) == "number" then v = num2str(v)
    elseif type(v) ~= "string" then
      error("invalid value (at index " .. k .. ") in table for 'concat'", 2)
    end
    parts[#parts + 1] = v
  end
  return tconcat(parts, sep or "")
end

local MAX_STRING = N.maxString
local function rep51(s, n) -- 5.1: no separator argument
  n = tonumber(n) or error("bad argument #2 to 'rep' (number expected)", 2)
  if n >= 1 and #tostring51(s) * n > MAX_STRING then
    error("string.rep result exceeds the script memory limit", 2)
  end
  return srep(s, n >= 0 and floor(n) or 0)
end

string.format = format51
string.rep = rep51
string.gfind = string.gmatch
table.concat = concat51
table.getn = function(t) return #t end
table.setn = function() error("'setn' is obsolete", 2) end
table.maxn = function(t)
  local m = 0
  for k in pairs(t) do if type(k) == "number" and k > m then m = k end end
  return m
end
table.foreach = function(t, f)
  for k, v in pairs(t) do local r = f(k, v) if r ~= nil then return r end end
end
table.foreachi = function(t, f)
  for k = 1, #t do local r = f(k, t[k]) if r ~= nil then return r end end
end
math.pow = function(a, b) return a ^ b end
math.mod = math.fmod
math.log10 = function(x) return math.log(x, 10) end
math.ldexp = function(m, e) return m * 2.0 ^ e end
math.frexp = function(x)
  if x == 0 or x ~= x or x == huge or x == -huge then return x, 0 end
  local e = floor(math.log(math.abs(x), 2)) + 1
  local m = x / 2.0 ^ e
  if math.abs(m) >= 1 then m = m / 2 e = e + 1 elseif math.abs(m) < 0.5 then m = m * 2 e = e - 1 end
  return m, e
end
math.cosh = function(x) return (math.exp(x) + math.exp(-x)) / 2 end
math.sinh = function(x) return (math.exp(x) - math.exp(-x)) / 2 end
math.tanh = function(x) local a, b = math.exp(x), math.exp(-x) return (a - b) / (a + b) end
math.atan2 = function(y, x) return math.atan(y, x) end
math.random = N.random
math.randomseed = N.randomseed
math.maxinteger, math.mininteger, math.tointeger, math.type, math.ult = nil, nil, nil, nil, nil
string.pack, string.unpack, string.packsize = nil, nil, nil

-- pcall/xpcall: a redis.call error is a table {err=...}; the script sees its text, as in 7.0
local function unwrap(ok, ...)
  if not ok then
    local e = ...
    if type(e) == "table" and type(rawget(e, "err")) == "string" then return false, e.err end
  end
  return ok, ...
end
-- error(123) gets a position prefix in 5.1 (numbers are strings there), not in 5.4
local rawerror = error
_G.error = function(m, level)
  if type(m) == "number" then m = num2str(m) end
  level = level or 1
  rawerror(m, level > 0 and level + 1 or level) -- not a tail call: level counts this frame
end
pcall = function(f, ...) return unwrap(rawpcall(f, ...)) end
local rawxpcall = xpcall
xpcall = function(f, h, ...) return unwrap(rawxpcall(f, h, ...)) end

-- ---- redis ---------------------------------------------------------------------------------
local redis = {}
redis.call = N.call
redis.pcall = N.pcall
redis.sha1hex = N.sha1hex
redis.setresp = N.setresp
redis.log = N.log
redis.acl_check_cmd = N.acl_check_cmd
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.REDIS_VERSION = N.version
redis.REDIS_VERSION_NUM = N.versionNum
redis.set_repl = function(flags)
  if type(flags) ~= "number" then error("redis.set_repl() requires one argument.", 2) end
  if flags < 0 or flags > 3 then error("Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.", 2) end
end
redis.replicate_commands = function() return true end
redis.breakpoint = function() return false end
redis.debug = function() end
redis.status_reply = function(s)
  if type(s) ~= "string" and type(s) ~= "number" then error("wrong number or type of arguments", 2) end
  return { ok = tostring51(s) }
end
redis.error_reply = function(s)
  if type(s) ~= "string" and type(s) ~= "number" then error("wrong number or type of arguments", 2) end
  s = tostring51(s)
  if ssub(s, 1, 1) == "-" then s = ssub(s, 2) end
  if not sfind(s, " ", 1, true) then s = "ERR " .. s end
  return { err = s }
end
redis.register_function = N.register_function

-- ---- bit (LuaBitOp: 32-bit signed results) -----------------------------------------------
local function tobit(x)
  x = floor(tonumber(x)) % 4294967296
  if x >= 2147483648 then x = x - 4294967296 end
  return x
end
local function u32(x) return floor(tonumber(x)) % 4294967296 end
local bit = {
  tobit = tobit,
  bnot = function(x) return tobit(~u32(x)) end,
  band = function(x, ...) x = u32(x) for i = 1, select("#", ...) do x = x & u32((select(i, ...))) end return tobit(x) end,
  bor = function(x, ...) x = u32(x) for i = 1, select("#", ...) do x = x | u32((select(i, ...))) end return tobit(x) end,
  bxor = function(x, ...) x = u32(x) for i = 1, select("#", ...) do x = x ~ u32((select(i, ...))) end return tobit(x) end,
  lshift = function(x, n) return tobit(u32(x) << (u32(n) & 31)) end,
  rshift = function(x, n) return tobit(u32(x) >> (u32(n) & 31)) end,
  arshift = function(x, n) return tobit(tobit(x) // (1 << (u32(n) & 31))) end,
  rol = function(x, n) x, n = u32(x), u32(n) & 31 return tobit((x << n) | (x >> (32 - n))) end,
  ror = function(x, n) x, n = u32(x), u32(n) & 31 return tobit((x >> n) | (x << (32 - n))) end,
  bswap = function(x)
    x = u32(x)
    return tobit(((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >> 8) & 0xff00) | (x >> 24))
  end,
  tohex = function(x, n)
    n = n and floor(n) or 8
    local up = n < 0
    if up then n = -n end
    if n > 8 then n = 8 end
    local s = sfmt(up and "%08X" or "%08x", u32(x))
    return ssub(s, 9 - n)
  end,
}

-- ---- struct (Roberto's struct library, on top of 5.4 string.pack) ---------------------------
local function structfmt(fmt)
  -- struct and string.pack share most letters; struct's 'c0' and 's' differ, and 'l/L' are 8 bytes
  fmt = sgsub(fmt, "c0", "s4")
  return fmt
end
local struct = {
  pack = function(fmt, ...) return spack(structfmt(fmt), ...) end,
  unpack = function(fmt, s, pos) return sunpack(structfmt(fmt), s, pos) end,
  size = function(fmt) return spacksize(structfmt(fmt)) end,
}

-- ---- cjson ----------------------------------------------------------------------------------
local cjson = { _NAME = "cjson", _VERSION = "2.1.0" }
local null = setmetatable({}, { __tostring = function() return "null" end })
cjson.null = null
local escapes = { ['"'] = '\\"', ["\\"] = "\\\\", ["/"] = "\\/", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }
local function esc(s)
  return '"' .. sgsub(s, '[%c"\\/]', function(c) return escapes[c] or sfmt("\\u%04x", sbyte(c)) end) .. '"'
end
local encode_max_depth, decode_max_depth = 1000, 1000
local function encode(v, depth)
  local t = type(v)
  if t == "string" then return esc(v)
  elseif t == "number" then
    if v ~= v or v == huge or v == -huge then error("Cannot serialise number: must not be NaN or Inf", 0) end
    return num2str(v)
  elseif t == "boolean" then return tostring(v)
  elseif t == "nil" or v == null then return "null"
  elseif t == "table" then
    if depth > encode_max_depth then error("Cannot serialise, excessive nesting (" .. depth .. ")", 0) end
    local maxk, count = 0, 0
    for k in pairs(v) do
      if type(k) == "number" and k > 0 and floor(k) == k then
        if k > maxk then maxk = k end
        count = count + 1
      else maxk = -1 break end
    end
    if maxk > 0 and maxk > count * 2 and maxk > 10 then
      error("Cannot serialise table: excessively sparse array", 0)
    end
    local out = {}
    if maxk > 0 then
      for i = 1, maxk do out[i] = encode(v[i], depth + 1) end
      return "[" .. tconcat(out, ",") .. "]"
    end
    for k, val in pairs(v) do
      local kt = type(k)
      if kt == "number" then k = num2str(k)
      elseif kt ~= "string" then error("Cannot serialise " .. kt .. ": table key must be a number or string", 0) end
      out[#out + 1] = esc(k) .. ":" .. encode(val, depth + 1)
    end
    return "{" .. tconcat(out, ",") .. "}"
  end
  error("Cannot serialise " .. t .. ": type not supported", 0)
end
cjson.encode = function(v) return encode(v, 1) end

local function decode_error(s, i, what)
  error("Expected " .. what .. " but found invalid token at character " .. i, 0)
end
local function skip(s, i)
  return (sfind(s, "[^ \t\r\n]", i)) or #s + 1
end
local decode_value
local function decode_string(s, i)
  local out, j = {}, i + 1
  while true do
    local c = ssub(s, j, j)
    if c == "" then decode_error(s, i, "string") end
    if c == '"' then return tconcat(out), j + 1 end
    if c == "\\" then
      local e = ssub(s, j + 1, j + 1)
      local map = { b = "\b", f = "\f", n = "\n", r = "\r", t = "\t", ['"'] = '"', ["\\"] = "\\", ["/"] = "/" }
      if map[e] then out[#out + 1] = map[e] j = j + 2
      elseif e == "u" then
        local cp = tonumber(ssub(s, j + 2, j + 5), 16) or decode_error(s, j, "unicode escape")
        j = j + 6
        if cp >= 0xD800 and cp <= 0xDBFF and ssub(s, j, j + 1) == "\\u" then
          local lo = tonumber(ssub(s, j + 2, j + 5), 16)
          if lo and lo >= 0xDC00 and lo <= 0xDFFF then cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00) j = j + 6 end
        end
        out[#out + 1] = uchar(cp)
      else decode_error(s, j, "escape") end
    else
      local k = sfind(s, '["\\]', j) or #s + 1
      out[#out + 1] = ssub(s, j, k - 1)
      j = k
    end
  end
end
decode_value = function(s, i, depth)
  i = skip(s, i)
  local c = ssub(s, i, i)
  if c == "{" or c == "[" then
    if depth > decode_max_depth then error("Found too many nested data structures (" .. depth .. ") at character " .. i, 0) end
  end
  if c == "{" then
    local t = {}
    i = skip(s, i + 1)
    if ssub(s, i, i) == "}" then return t, i + 1 end
    while true do
      if ssub(s, i, i) ~= '"' then decode_error(s, i, "object key string") end
      local k
      k, i = decode_string(s, i)
      i = skip(s, i)
      if ssub(s, i, i) ~= ":" then decode_error(s, i, "colon") end
      t[k], i = decode_value(s, i + 1, depth + 1)
      i = skip(s, i)
      local d = ssub(s, i, i)
      if d == "}" then return t, i + 1 end
      if d ~= "," then decode_error(s, i, "comma or object end") end
      i = skip(s, i + 1)
    end
  elseif c == "[" then
    local t, n = {}, 0
    i = skip(s, i + 1)
    if ssub(s, i, i) == "]" then return t, i + 1 end
    while true do
      n = n + 1
      t[n], i = decode_value(s, i, depth + 1)
      i = skip(s, i)
      local d = ssub(s, i, i)
      if d == "]" then return t, i + 1 end
      if d ~= "," then decode_error(s, i, "comma or array end") end
      i = i + 1
    end
  elseif c == '"' then return decode_string(s, i)
  elseif ssub(s, i, i + 3) == "true" then return true, i + 4
  elseif ssub(s, i, i + 4) == "false" then return false, i + 5
  elseif ssub(s, i, i + 3) == "null" then return null, i + 4
  else
    local num = string.match(s, "^-?%d+%.?%d*[eE]?[-+]?%d*", i)
    local v = num and tonumber(num)
    if not v then decode_error(s, i, "value") end
    return v + 0.0, i + #num
  end
end
cjson.decode = function(s)
  if type(s) ~= "string" then error("bad argument #1 to 'decode' (string expected)", 2) end
  local v, i = decode_value(s, 1, 1)
  i = skip(s, i)
  if i <= #s then decode_error(s, i, "the end") end
  return v
end
cjson.encode_keep_buffer = function() end
cjson.encode_max_depth = function(n) if n then encode_max_depth = n end return encode_max_depth end
cjson.decode_max_depth = function(n) if n then decode_max_depth = n end return decode_max_depth end
cjson.encode_number_precision = function() return 14 end
cjson.encode_sparse_array = function() end
cjson.encode_invalid_numbers = function() end
cjson.decode_invalid_numbers = function() end
cjson.new = function() return cjson end

-- ---- cmsgpack -------------------------------------------------------------------------------
local cmsgpack = { _NAME = "cmsgpack", _VERSION = "lua-cmsgpack 0.4.0" }
local function mp_pack(v, out)
  local t = type(v)
  if t == "nil" then out[#out + 1] = "\192"
  elseif t == "boolean" then out[#out + 1] = v and "\195" or "\194"
  elseif t == "number" then
    if floor(v) == v and v >= -2^63 and v < 2^63 then
      local i = toint(v) or floor(v)
      if i >= 0 then
        if i < 128 then out[#out + 1] = schar(i)
        elseif i < 256 then out[#out + 1] = "\204" .. schar(i)
        elseif i < 65536 then out[#out + 1] = spack(">B I2", 0xcd, i)
        elseif i < 4294967296 then out[#out + 1] = spack(">B I4", 0xce, i)
        else out[#out + 1] = spack(">B I8", 0xcf, i) end
      else
        if i >= -32 then out[#out + 1] = spack("b", i)
        elseif i >= -128 then out[#out + 1] = spack(">B b", 0xd0, i)
        elseif i >= -32768 then out[#out + 1] = spack(">B i2", 0xd1, i)
        elseif i >= -2147483648 then out[#out + 1] = spack(">B i4", 0xd2, i)
        else out[#out + 1] = spack(">B i8", 0xd3, i) end
      end
    elseif v == v and spack("f", v) == spack("f", sunpack("f", spack("f", v))) and sunpack("f", spack("f", v)) == v then
      out[#out + 1] = spack(">B f", 0xca, v)
    else out[#out + 1] = spack(">B d", 0xcb, v) end
  elseif t == "string" then
    local n = #v
    if n < 32 then out[#out + 1] = schar(0xa0 + n)
    elseif n < 256 then out[#out + 1] = spack(">B B", 0xd9, n)
    elseif n < 65536 then out[#out + 1] = spack(">B I2", 0xda, n)
    else out[#out + 1] = spack(">B I4", 0xdb, n) end
    out[#out + 1] = v
  elseif t == "table" then
    local n, isarr = 0, true
    for k in pairs(v) do
      n = n + 1
      if type(k) ~= "number" or k ~= n then isarr = false end
    end
    if isarr then
      for i = 1, n do if v[i] == nil then isarr = false break end end
    end
    if isarr then
      if n < 16 then out[#out + 1] = schar(0x90 + n)
      elseif n < 65536 then out[#out + 1] = spack(">B I2", 0xdc, n)
      else out[#out + 1] = spack(">B I4", 0xdd, n) end
      for i = 1, n do mp_pack(v[i], out) end
    else
      if n < 16 then out[#out + 1] = schar(0x80 + n)
      elseif n < 65536 then out[#out + 1] = spack(">B I2", 0xde, n)
      else out[#out + 1] = spack(">B I4", 0xdf, n) end
      for k, val in pairs(v) do mp_pack(k, out) mp_pack(val, out) end
    end
  else out[#out + 1] = "\192" end
end
cmsgpack.pack = function(...)
  local out = {}
  for i = 1, select("#", ...) do mp_pack((select(i, ...)), out) end
  return tconcat(out)
end
local mp_unpack
local function mp_items(s, i, n, map)
  local t = {}
  for k = 1, n do
    if map then
      local key, val
      key, i = mp_unpack(s, i)
      val, i = mp_unpack(s, i)
      t[key] = val
    else t[k], i = mp_unpack(s, i) end
  end
  return t, i
end
mp_unpack = function(s, i)
  local b = sbyte(s, i)
  if not b then error("Missing bytes in input.", 0) end
  if b < 0x80 then return b, i + 1 end
  if b >= 0xe0 then return b - 256, i + 1 end
  if b >= 0xa0 and b < 0xc0 then local n = b - 0xa0 return ssub(s, i + 1, i + n), i + 1 + n end
  if b >= 0x90 and b < 0xa0 then return mp_items(s, i + 1, b - 0x90, false) end
  if b >= 0x80 and b < 0x90 then return mp_items(s, i + 1, b - 0x80, true) end
  if b == 0xc0 then return nil, i + 1 end
  if b == 0xc2 then return false, i + 1 end
  if b == 0xc3 then return true, i + 1 end
  local fmts = { [0xcc] = ">B", [0xcd] = ">I2", [0xce] = ">I4", [0xcf] = ">I8", [0xd0] = ">b", [0xd1] = ">i2",
    [0xd2] = ">i4", [0xd3] = ">i8", [0xca] = ">f", [0xcb] = ">d" }
  if fmts[b] then local v, j = sunpack(fmts[b], s, i + 1) return v, j end
  local strs = { [0xd9] = ">B", [0xda] = ">I2", [0xdb] = ">I4", [0xc4] = ">B", [0xc5] = ">I2", [0xc6] = ">I4" }
  if strs[b] then local n, j = sunpack(strs[b], s, i + 1) return ssub(s, j, j + n - 1), j + n end
  if b == 0xdc or b == 0xdd then local n, j = sunpack(b == 0xdc and ">I2" or ">I4", s, i + 1) return mp_items(s, j, n, false) end
  if b == 0xde or b == 0xdf then local n, j = sunpack(b == 0xde and ">I2" or ">I4", s, i + 1) return mp_items(s, j, n, true) end
  error("Bad data format in input.", 0)
end
cmsgpack.unpack = function(s)
  local out, i, n = {}, 1, 0
  while i <= #s do
    n = n + 1
    out[n], i = mp_unpack(s, i)
  end
  return tunpack(out, 1, n)
end
cmsgpack.unpack_one = function(s, offset)
  local v, i = mp_unpack(s, (offset or 0) + 1)
  return i - 1 >= #s and -1 or i - 1, v
end
cmsgpack.unpack_limit = function(s, limit, offset)
  local out, i, n = {}, (offset or 0) + 1, 0
  while i <= #s and (limit <= 0 or n < limit) do
    n = n + 1
    out[n], i = mp_unpack(s, i)
  end
  return i - 1 >= #s and -1 or i - 1, tunpack(out, 1, n)
end

-- ---- the global world a script sees ----------------------------------------------------------
local G = _G
G.redis, G.bit, G.struct, G.cjson, G.cmsgpack = redis, bit, struct, cjson, cmsgpack
G.unpack = tunpack
G.gcinfo = function() return floor(collectgarbage("count")) end
G.tostring = tostr_args
G._VERSION = "Lua 5.1"
for _, name in ipairs({ "print", "dofile", "loadfile", "require", "os", "io", "package", "utf8", "debug", "warn", "rawlen" }) do
  G[name] = nil
end

-- Read-only tables: what Redis 7.0's lua_enablereadonlytable does, with a proxy per table.
local function readonly(t)
  return setmetatable({}, {
    __index = t,
    __newindex = function() error("Attempt to modify a readonly table", 2) end,
    __metatable = false,
    __pairs = function() return next, t, nil end,
  })
end
for _, name in ipairs({ "redis", "bit", "struct", "cjson", "cmsgpack", "string", "table", "math", "coroutine" }) do
  G[name] = readonly(G[name])
end
-- The script's environment: globals read-only, missing globals an error.
local env = setmetatable({}, {
  __index = function(_, k)
    local v = rawget(G, k)
    if v == nil then error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2) end
    return v
  end,
  __newindex = function() error("Attempt to modify a readonly table", 2) end,
  __metatable = false,
  __pairs = function() return next, G, nil end,
})
rawset(G, "_G", env)
-- text chunks only (no bytecode), running in the scripts' protected environment
rawset(G, "loadstring", function(s, name) return rawload(s, name, "t", env) end)
rawset(G, "load", function(chunk, name) return rawload(chunk, name, "t", env) end)

-- Error handler of every run: a table {err=, source=, line=}, as Redis 7.0's __redis__err__handler.
local function handler(err)
  -- the frame that raised: skip C functions and this prelude's metamethods
  local level, i = 2, getinfo(2, "nSl")
  while i and (i.what == "C" or i.source == "=prelude") do
    level = level + 1
    i = getinfo(level, "nSl")
  end
  if type(err) ~= "table" then err = { err = "ERR " .. tostring51(err) } end
  if i then err.source = i.source err.line = i.currentline end
  return err
end
local function runner(f, ...)
  return rawxpcall(f, handler, ...)
end
return env, runner, G
`;
