/**
 * One value, kept for the latest key it was made for (compared with `===`).
 * What every scrape renders from an object that rarely changes (the
 * resource's attributes, for `target_info`) is made once, and made again
 * only when a scrape brings another object.
 */
export class LatestByKey<K, V> {
  private latest: { key: K; value: V } | undefined;

  /** The value for `key`: the kept one when `key` is the latest key, else `make(key)`, kept in its place. */
  get(key: K, make: (key: K) => V): V {
    if (this.latest === undefined || this.latest.key !== key) this.latest = { key, value: make(key) };
    return this.latest.value;
  }
}
