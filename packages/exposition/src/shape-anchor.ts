/**
 * Keeps V8's hidden classes of short-lived objects alive between uses.
 *
 * An object's hidden class (map) after its constructor has added its fields
 * is reachable from the class's initial map only through a weak transition.
 * When every object of that shape has died, as the writer of a scrape has by
 * the next one, a full garbage collection frees the map, and every optimized
 * function that checks for it is thrown away ("embedded weak objects
 * cleared"). The next scrape then runs the hot loop unoptimized while V8
 * recompiles it: measured at 1k series, a scrape after a full collection took
 * 6.5 ms instead of 1.2 ms. Production scrapes come every 15 s or more, with
 * full collections in between, so every one of them paid that.
 *
 * One instance of each such class, held here for the life of the process,
 * keeps its map (and the transitions leading to it) alive.
 */
const anchored: object[] = [];

/** Keeps `instance` (and so its hidden class) alive for the life of the process. */
export function anchorShape(instance: object): void {
  anchored.push(instance);
}
