/** Answers kept per process for a while (other processes see a change within the TTL). */
export interface TtlCache<V> {
  /** The kept answer for `key`, or `load()`'s, kept from now on; a load that fails is not kept. */
  get(key: string, load: () => Promise<V>): Promise<V>;
  deleteWhere(test: (key: string) => boolean): void;
}

/** A cache of at most `maxEntries` answers, each kept `ttlMs`; past the bound the oldest goes first. */
export function createTtlCache<V>({ ttlMs, maxEntries }: { ttlMs: number; maxEntries: number }): TtlCache<V> {
  // A Map iterates in insertion order, so its first key is the oldest entry.
  const entries = new Map<string, { at: number; value: Promise<V> }>();
  return {
    get(key, load) {
      const hit = entries.get(key);
      if (hit && Date.now() - hit.at < ttlMs) return hit.value;
      entries.delete(key);
      const value = load();
      entries.set(key, { at: Date.now(), value });
      value.catch(() => {
        if (entries.get(key)?.value === value) entries.delete(key);
      });
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
      return value;
    },
    deleteWhere(test) {
      for (const key of entries.keys()) if (test(key)) entries.delete(key);
    },
  };
}
