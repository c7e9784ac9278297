// A least-recently-used map bounded by an estimate of the memory it holds, not only by its
// number of entries: a few huge keys (GraphQL documents sent by anyone) must not pin hundreds
// of megabytes where a thousand small ones pin a few. An entry heavier than the whole budget
// is not kept at all.
export class ByteBoundedLru<Value, Key = string> {
  private readonly entries = new Map<Key, { value: Value; bytes: number }>();
  private heldBytes = 0;

  constructor(
    private readonly limits: { maxBytes: number; maxEntries: number },
    /** The estimated bytes an entry keeps alive (its key included). */
    private readonly weigh: (key: Key, value: Value) => number,
  ) {}

  /** What the entries are estimated to hold, in bytes. */
  get bytes(): number {
    return this.heldBytes;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: Key): Value | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    // Most recently used last: Map keeps insertion order.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: Key, value: Value): void {
    this.delete(key);
    const bytes = this.weigh(key, value);
    if (bytes > this.limits.maxBytes) return;
    while (this.entries.size > 0 && (this.heldBytes + bytes > this.limits.maxBytes || this.entries.size >= this.limits.maxEntries)) {
      this.delete(this.entries.keys().next().value!);
    }
    this.entries.set(key, { value, bytes });
    this.heldBytes += bytes;
  }

  delete(key: Key): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.heldBytes -= entry.bytes;
  }
}
