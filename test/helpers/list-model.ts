// Pieces of the simple list reference the list tests compare against.

/** LRANGE/LTRIM index clamping as in t_list.c: [from, to) or null when empty. */
export function clampRange(n: number, start: number, stop: number): [number, number] | null {
  if (start < 0) start += n;
  if (stop < 0) stop += n;
  if (start < 0) start = 0;
  if (start > stop || start >= n) return null;
  if (stop >= n) stop = n - 1;
  return [start, stop + 1];
}
