/**
 * A value remembered per object, held on the object itself under a symbol of its own (not
 * enumerable, so `JSON.stringify`, `Object.keys` and equality checks never see it), with a
 * WeakMap only for objects that cannot take a property (frozen ones).
 *
 * Why not a WeakMap for all: the edge remembers a size and a JSON text for every event it serves
 * or caches, hundreds of thousands of objects, and each WeakMap entry is an ephemeron the garbage
 * collector must trace on its own. In the cache suite's announced reads (`npm run bench -- --suite
 * cache-edge`, `announced_edge_gc_ms_*`) the edges' collector time fell from a median 136-147 ms
 * to 127 ms with the cache and from 42-44 ms to 28 ms without; those collections land inside the
 * reads an edge answers (docs/read-cache.md, "Measuring the tail").
 */
export interface ObjectMemo<T> {
  get(o: object): T | undefined;
  set(o: object, value: T): void;
}

export function objectMemo<T>(name: string): ObjectMemo<T> {
  const key = Symbol(name);
  const fallback = new WeakMap<object, T>();
  return {
    get: (o) => (o as Record<symbol, T | undefined>)[key] ?? (Object.isExtensible(o) ? undefined : fallback.get(o)),
    set: (o, value) => {
      if (Object.isExtensible(o)) Object.defineProperty(o, key, { value, enumerable: false, writable: true, configurable: true });
      else fallback.set(o, value);
    },
  };
}
