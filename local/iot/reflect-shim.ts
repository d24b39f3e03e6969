/**
 * The minimal Reflect metadata API that @peculiar/x509 2.x needs; installs nothing when a real
 * polyfill is present. Import it before `@peculiar/x509`.
 */
// Why: @peculiar/x509 2.x resolves its algorithms through tsyringe, which refuses to load unless a
// Reflect metadata API exists (normally `reflect-metadata`, not a dependency of this project).
// tsyringe only needs the three functions below, and only for classes without constructor
// parameters, so a minimal WeakMap-backed shim is enough.
type MetadataMap = Map<unknown, unknown>;
const R = Reflect as unknown as Record<string, unknown>;

if (typeof R.getMetadata !== 'function') {
  const store = new WeakMap<object, MetadataMap>();
  R.defineMetadata = (key: unknown, value: unknown, target: object): void => {
    let m = store.get(target);
    if (!m) store.set(target, (m = new Map()));
    m.set(key, value);
  };
  R.getOwnMetadata = (key: unknown, target: object): unknown => store.get(target)?.get(key);
  R.getMetadata = (key: unknown, target: object): unknown => {
    for (let o: object | null = target; o; o = Object.getPrototypeOf(o) as object | null) {
      const m = store.get(o);
      if (m?.has(key)) return m.get(key);
    }
    return undefined;
  };
}

export {};
