/**
 * A value remembered per object, held on the object itself under a symbol of its own (not
 * enumerable, so `JSON.stringify`, `Object.keys` and equality checks never see it), with a
 * WeakMap only for objects that cannot take a property (frozen ones).
 *
 * Why not a WeakMap for all: the edge remembers a size and a JSON text for every event it serves
 * or caches, hundreds of thousands of objects, and each WeakMap entry is an ephemeron the garbage
 * collector must trace on its own. With two such maps over freshly cached events, young-generation
 * collections took a median 5.5-6.5 ms and up to 12-15 ms in a replay of rounds of prefetched
 * events; with the values on the objects, 4.7 ms and 8 ms (about what the same objects cost with
 * nothing remembered). Those collections land inside the reads a cache edge answers.
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
