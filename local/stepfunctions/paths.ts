// Simple JSONPath reference paths ($, $.a.b, $['a'], $.a[0]) evaluated without the library:
// ItemsPath lengths, MaxConcurrencyPath, and a Distributed Map's ItemSelector values.
/**
 * Evaluates the simple reference paths used for ItemsPath (`$`, `$.a.b`, `$['a']`, `$.a[0]`).
 * Returns undefined for anything fancier; only used to report MapStateStarted's length.
 */
export function evalSimplePath(path: string | undefined, value: unknown): unknown {
  if (path === undefined || path === '$') return value;
  if (!path.startsWith('$')) return undefined;
  const re = /\.([A-Za-z_][\w-]*)|\['([^']*)'\]|\[(\d+)\]/gy;
  re.lastIndex = 1;
  let cur: unknown = value;
  let m: RegExpExecArray | null;
  let pos = 1;
  while (pos < path.length && (m = re.exec(path))) {
    const key = m[1] ?? m[2] ?? Number(m[3]);
    cur = cur !== null && typeof cur === 'object' ? (cur as Record<string | number, unknown>)[key] : undefined;
    pos = re.lastIndex;
  }
  return pos === path.length ? cur : undefined;
}
