// A Map that holds at most `maxEntries`: adding a new key to a full one first drops the oldest
// entry (a Map iterates in insertion order; reading an entry does not refresh it). For caches
// that bound memory by count; ByteBoundedLru (cache/byte-bounded-lru.ts) bounds by bytes, LRU order.
export class BoundedMap<Key, Value> extends Map<Key, Value> {
  constructor(readonly maxEntries: number) {
    super();
  }

  override set(key: Key, value: Value): this {
    if (this.size >= this.maxEntries && !this.has(key)) this.delete(this.keys().next().value!);
    return super.set(key, value);
  }
}
