/**
 * A schema built on first use (issue 16, cold start). shared/protocol
 * declares some 130 zod schemas; building them all when the module loads cost
 * a browser's cold start 20–45 ms before the first paint, though a start from
 * local data parses almost none of them. `lazy(() => z.object(…))` returns a
 * stand-in that builds the schema the first time anything reads it (parse,
 * `.shape`, `.optional()`, a schema that nests it) and forwards to it from then
 * on: every importer, the server's included, uses it exactly as before.
 *
 * A function's `this` is the stand-in (zod's methods read the schema through
 * it, as they would the schema); `instanceof` follows the schema's prototype
 * and zod's own trait checks read its `_zod` through the stand-in.
 */
export function lazy<T extends object>(build: () => T): T {
  let built: T | undefined;
  const real = (): T => (built ??= build());
  return new Proxy({} as T, {
    get: (_target, key) => Reflect.get(real(), key),
    set: (_target, key, value) => Reflect.set(real(), key, value),
    has: (_target, key) => Reflect.has(real(), key),
    ownKeys: () => Reflect.ownKeys(real()),
    // Configurable: the stand-in's own (empty) target must not contradict what it reports.
    getOwnPropertyDescriptor: (_target, key) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(real(), key);
      return descriptor && { ...descriptor, configurable: true };
    },
    defineProperty: (_target, key, descriptor) =>
      Reflect.defineProperty(real(), key, descriptor),
    deleteProperty: (_target, key) => Reflect.deleteProperty(real(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(real()),
  });
}
