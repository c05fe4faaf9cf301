/**
 * What an update would do to a room's document, as the `Write`s the write
 * policy (src/lib/model/writePolicy.ts) decides on: every inserted item
 * resolved to its place (root, the chain of parents, map key or list
 * element), every overwritten map entry, and every deletion resolved to the
 * items it removes. Read from the decoded structs and the room's document
 * before anything is applied, in whatever content encoding the items use.
 *
 * The place of an item is resolved the way Yjs integrates it
 * (Item.getMissing): an explicit parent (a root name or a type's item id)
 * when the item carries one, else the parent and key of its left origin, else
 * of its right origin; a struct that starts inside what the room already
 * holds continues from its own client's previous item. An item whose place
 * depends on something neither the room nor the update holds cannot be
 * checked: Yjs would park it and integrate it later unchecked, so the whole
 * update is reported as `missing` instead (the relay then asks the client for
 * everything it lacks in one self-contained answer).
 */
import * as Y from 'yjs';
import {
  rootIsOpen,
  type Container,
  type Hop,
  type RoomPolicy,
  type Write
} from '../../src/lib/model/writePolicy.js';

export type UpdateWrites =
  | { ok: true; writes: Write[] }
  /** It builds on content the room lacks: ask the client for everything. */
  | { ok: false; missing: string }
  /** It cannot be read as writes at all (nesting too deep to walk, say): refuse it. */
  | { ok: false; unreadable: string };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Yjs's own type parameter
type YType = Y.AbstractType<any>;
type Struct = ReturnType<typeof Y.decodeUpdate>['structs'][number];
type DeleteSet = ReturnType<typeof Y.decodeUpdate>['ds'];

// ---------------------------------------------------------------- Yjs internals
// The public API reads maps only through typed Y.Map instances, but a relay's
// roots are plain AbstractTypes (created by applyUpdate, never by getMap),
// and it has no way to walk from a type to the item that holds it. These three
// reads are the only internals used; tests/unit/updateWrites.test.ts fails if
// an upgrade changes them.

/** The item currently holding a key of any type (Y.Map, a root, an XmlElement's attributes). */
function mapItem(type: YType, key: string): Y.Item | undefined {
  return (type as unknown as { _map: Map<string, Y.Item> })._map.get(key);
}

/** The item holding a type; null for a root. */
function holderOf(type: YType): Y.Item | null {
  return (type as unknown as { _item: Y.Item | null })._item;
}

/** The structs of one client in a document's store, ordered by clock. */
function clientStructs(doc: Y.Doc, client: number): Array<Y.Item | Y.GC> | undefined {
  return doc.store.clients.get(client) as Array<Y.Item | Y.GC> | undefined;
}

// ---------------------------------------------------------------- values

/** What a new item sets: its values, a shared type as a Container of its own. */
function valuesOf(
  item: Y.Item,
  offset: number,
  containerOf: (item: Y.Item) => Container
): unknown[] {
  const content = item.content;
  if (content instanceof Y.ContentType) return [containerOf(item)];
  if (content instanceof Y.ContentDeleted) return [];
  // Formatting attributes have no value a reader sees; as a map entry or in a
  // list they are never the writer's id, so `names` refuses them.
  if (content instanceof Y.ContentFormat) return [{ format: content.key }];
  if (content instanceof Y.ContentDoc) return [{ subdocument: true }];
  const values = content.getContent();
  return offset > 0 ? values.slice(offset) : values;
}

/** A key's live value in an existing type, as the policy reads it. */
function liveValue(type: YType, key: string, wrap: (type: YType) => Container): unknown {
  const item = mapItem(type, key);
  if (!item || item.deleted) return undefined;
  if (item.content instanceof Y.ContentType) return wrap(item.content.type as YType);
  const values = item.content.getContent();
  return values[values.length - 1];
}

// ---------------------------------------------------------------- places

/** Where an item lives: a root, an existing type, or a type this update creates. */
type Parent =
  { kind: 'root'; name: string } | { kind: 'type'; type: YType } | { kind: 'new'; holder: Y.Item };

interface Place {
  parent: Parent;
  key: string | null;
}

/** Resolved to nothing: Yjs garbage-collects the item (its neighbour or parent is gone). */
const DROPPED = 'dropped' as const;

class Missing extends Error {}
/** What Yjs would do with it is not what it says: refused, not judged. */
class Unreadable extends Error {}

function samePlace(a: Place, b: Place): boolean {
  return a.key === b.key && parentIdentity(a.parent) === parentIdentity(b.parent);
}

/**
 * Resolves an update against a document. Build one per update; it reads the
 * document and never changes it.
 */
class Resolver {
  /** New items by client, in clock order, with the offset of the first new clock. */
  private readonly fresh = new Map<number, { item: Y.Item; offset: number }[]>();
  private readonly offsets = new Map<Y.Item, number>();
  /** Per client, the clock after the update's last struct (garbage-collected ones included). */
  private readonly ends = new Map<number, number>();
  private readonly places = new Map<Y.Item, Place | typeof DROPPED>();
  private readonly rootNames = new Map<YType, string>();
  private readonly newContainers = new Map<Y.Item, Container>();
  /** Values set per new container and key, for a new container's `get`. */
  private readonly newValues = new Map<Y.Item, Map<string, unknown>>();
  private readonly existingContainers = new Map<YType, Container>();
  /** Items whose place is being resolved: meeting one again is a cycle Yjs would park. */
  private readonly resolving = new Set<Y.Item>();

  constructor(
    private readonly doc: Y.Doc,
    structs: readonly Struct[]
  ) {
    const next = new Map<number, number>();
    const gapped = new Set<number>();
    const seen = new Set<number>();
    let last: number | null = null;
    for (const struct of structs) {
      const client = struct.id.client;
      // Yjs applies only a client's last block of structs; no encoder writes
      // two, and the first would be judged while the second lands.
      if (client !== last && seen.has(client)) {
        throw new Unreadable(`client ${client} appears twice in one update`);
      }
      seen.add(client);
      last = client;
      // The room's clock for the client, read where needed: a long-lived
      // room's state vector names every device session that ever wrote.
      const expected = next.get(client) ?? Y.getState(doc.store, client);
      const end = struct.id.clock + struct.length;
      if (end <= expected) continue;
      // What follows a gap (a Skip, or a clock past the room's) is parked by
      // Yjs until the gap is filled.
      if (struct instanceof Y.Skip) {
        gapped.add(client);
        continue;
      }
      if (gapped.has(client) || struct.id.clock > expected) {
        throw new Missing(
          `client ${client} continues from clock ${expected}, sent ${struct.id.clock}`
        );
      }
      next.set(client, end);
      this.ends.set(client, end);
      if (!(struct instanceof Y.Item)) continue;
      let list = this.fresh.get(client);
      if (!list) this.fresh.set(client, (list = []));
      list.push({ item: struct, offset: expected - struct.id.clock });
      if (expected > struct.id.clock) this.offsets.set(struct, expected - struct.id.clock);
    }
  }

  *newItems(): Generator<{ item: Y.Item; offset: number }> {
    for (const list of this.fresh.values()) yield* list;
  }

  /** The struct holding an id: a new item of this update, or one of the document's. */
  private find(id: Y.ID): { item: Y.Item; fresh: boolean } | 'gc' {
    const list = this.fresh.get(id.client);
    if (list) {
      let low = 0;
      let high = list.length - 1;
      while (low <= high) {
        const mid = (low + high) >> 1;
        const { item, offset } = list[mid];
        const start = item.id.clock + offset;
        if (id.clock < start) high = mid - 1;
        else if (id.clock >= item.id.clock + item.length) low = mid + 1;
        else return { item, fresh: true };
      }
    }
    const structs = clientStructs(this.doc, id.client);
    const state = Y.getState(this.doc.store, id.client);
    if (id.clock >= state) {
      // Past the room's clock and not a new item: content the update holds
      // only as collected garbage (made and deleted before it was sent).
      if (id.clock < (this.ends.get(id.client) ?? 0)) return 'gc';
      throw new Missing(`nothing holds ${id.client}:${id.clock}`);
    }
    if (!structs) throw new Missing(`nothing holds ${id.client}:${id.clock}`);
    const struct = structs[Y.findIndexSS(structs, id.clock)];
    return struct instanceof Y.Item ? { item: struct, fresh: false } : 'gc';
  }

  /** A document item's place. */
  private existingPlace(item: Y.Item): Place {
    return { parent: this.typeParent(item.parent as YType), key: item.parentSub };
  }

  typeParent(type: YType): Parent {
    if (holderOf(type) !== null) return { kind: 'type', type };
    return { kind: 'root', name: this.rootName(type) };
  }

  private rootName(type: YType): string {
    if (this.rootNames.size === 0) {
      for (const [name, root] of this.doc.share) this.rootNames.set(root, name);
    }
    const name = this.rootNames.get(type);
    if (name === undefined) throw new Missing('a root the document does not name');
    return name;
  }

  /** A new item's place, as Yjs would integrate it. */
  place(item: Y.Item): Place | typeof DROPPED {
    // Iterative: an offline session merged into one update can chain
    // thousands of new items, each placed where its origin is.
    const chain: Y.Item[] = [];
    let current = item;
    let place: Place | typeof DROPPED;
    for (;;) {
      const known = this.places.get(current);
      if (known) {
        place = known;
        break;
      }
      if (this.resolving.has(current)) throw new Missing('items whose places depend on each other');
      this.resolving.add(current);
      chain.push(current);
      const step = this.resolve(current);
      if ('sameAs' in step) {
        current = step.sameAs;
        continue;
      }
      place = step.place;
      break;
    }
    for (const resolved of chain) {
      this.places.set(resolved, place);
      this.resolving.delete(resolved);
    }
    return place;
  }

  /** An item's place, or the new item whose place it shares. */
  private resolve(item: Y.Item): { place: Place | typeof DROPPED } | { sameAs: Y.Item } {
    const offset = this.offsets.get(item) ?? 0;
    const named = this.namedPlace(item);
    if (offset === 0) return named;
    // A struct starting inside what the room holds: Yjs takes its parent and
    // key from what it names (as above), but links it after its client's
    // previous item and, in a map, deletes that item. A client resending its
    // own run always continues in the same place; anything else would land
    // somewhere other than what it names, so it is not judged, it is refused.
    const place = 'sameAs' in named ? this.place(named.sameAs) : named.place;
    const previous = this.find(Y.createID(item.id.client, item.id.clock + offset - 1));
    if (place === DROPPED) return { place };
    if (
      previous === 'gc' ||
      previous.fresh ||
      !samePlace(place, this.existingPlace(previous.item))
    ) {
      throw new Unreadable('a struct that continues its client’s previous item in another place');
    }
    return { place };
  }

  /** The place an item names (Item.getMissing): its left origin's, its right origin's, or its parent. */
  private namedPlace(item: Y.Item): { place: Place | typeof DROPPED } | { sameAs: Y.Item } {
    const parent = item.parent as unknown;
    // Yjs does not wait for a reference into its own client's future: it
    // fails halfway through applying, leaving a room changed and unstored.
    for (const ref of [item.origin, item.rightOrigin, parent instanceof Y.ID ? parent : null]) {
      if (ref && ref.client === item.id.client && ref.clock >= item.id.clock) {
        throw new Unreadable('an item that refers to its own client’s later content');
      }
    }
    if (parent === null) {
      // Yjs: from the left origin when it is an item, else from the right origin.
      const left = item.origin ? this.find(item.origin) : null;
      const right = item.rightOrigin ? this.find(item.rightOrigin) : null;
      if (left === 'gc' || right === 'gc') return { place: DROPPED };
      const from = left ?? right;
      if (!from) return { place: DROPPED };
      return from.fresh ? { sameAs: from.item } : { place: this.existingPlace(from.item) };
    }
    if (typeof parent === 'string') {
      return { place: { parent: { kind: 'root', name: parent }, key: item.parentSub } };
    }
    const holder = this.find(parent as Y.ID);
    if (holder === 'gc') return { place: DROPPED };
    // A parent whose type was deleted and collected (or never was a type):
    // Yjs collects the item too.
    if (!(holder.item.content instanceof Y.ContentType)) return { place: DROPPED };
    // A new type nested in a new type: the nesting depth bounds this recursion.
    if (holder.fresh && this.place(holder.item) === DROPPED) return { place: DROPPED };
    const parentRef: Parent = holder.fresh
      ? { kind: 'new', holder: holder.item }
      : this.typeParent(holder.item.content.type as YType);
    return { place: { parent: parentRef, key: item.parentSub } };
  }

  rootOf(parent: Parent): string {
    for (let p = parent; ;) {
      if (p.kind === 'root') return p.name;
      if (p.kind === 'type') {
        const holder = holderOf(p.type) as Y.Item;
        p = this.existingPlace(holder).parent;
        continue;
      }
      const place = this.place(p.holder);
      if (place === DROPPED) throw new Missing('a dropped parent');
      p = place.parent;
    }
  }

  /** The hops from the root's container down to a write at `place`. */
  hops(place: Place): { root: string; hops: Hop[] } {
    const hops: Hop[] = [];
    let { parent, key } = place;
    for (;;) {
      if (parent.kind === 'root') {
        const root = this.doc.share.get(parent.name);
        hops.unshift({
          container: root ? this.existing(root as YType) : EMPTY_ROOT,
          key
        });
        return { root: parent.name, hops };
      }
      if (parent.kind === 'type') {
        hops.unshift({ container: this.existing(parent.type), key });
        const holder = holderOf(parent.type) as Y.Item;
        ({ parent, key } = this.existingPlace(holder));
        continue;
      }
      hops.unshift({ container: this.newContainer(parent.holder), key });
      const place = this.place(parent.holder);
      if (place === DROPPED) throw new Missing('a dropped parent');
      ({ parent, key } = place);
    }
  }

  /** An existing type as the policy reads it. */
  existing = (type: YType): Container => {
    let container = this.existingContainers.get(type);
    if (!container) {
      container = {
        isNew: false,
        shape: shapeOf(type),
        get: (key) => liveValue(type, key, this.existing)
      };
      this.existingContainers.set(type, container);
    }
    return container;
  };

  newContainer = (holder: Y.Item): Container => {
    let container = this.newContainers.get(holder);
    if (!container) {
      const values = this.newValues;
      container = {
        isNew: true,
        shape: shapeOf((holder.content as Y.ContentType).type as YType),
        get: (key) => values.get(holder)?.get(key)
      };
      this.newContainers.set(holder, container);
    }
    return container;
  };

  /** Records what a new item sets at a key of a new container (the last one wins, as in Yjs order). */
  noteNewValue(holder: Y.Item, key: string, values: unknown[]): void {
    if (values.length === 0) return;
    let map = this.newValues.get(holder);
    if (!map) this.newValues.set(holder, (map = new Map()));
    map.set(key, values[values.length - 1]);
  }

  /** A key's live current value in an existing container (its last item, if not deleted). */
  currentItem(parent: Parent, key: string): Y.Item | null {
    const type =
      parent.kind === 'type'
        ? parent.type
        : parent.kind === 'root'
          ? (this.doc.share.get(parent.name) as YType | undefined)
          : undefined;
    const item = type ? mapItem(type, key) : undefined;
    return item && !item.deleted ? item : null;
  }

  /**
   * Whether a key whose live value is `current` may be left empty by the new
   * items `fresh` set at it and, if `deletesCurrent`, the deletion of
   * `current`. The key's last item decides, and Yjs orders concurrent items
   * itself, so every item that may end last is considered: `current`, unless
   * a new item is set on top of it (its origins lead back to it), and every
   * new item nothing else new is set on top of.
   */
  mayEndEmpty(
    fresh: readonly Y.Item[],
    current: Y.Item,
    deletesCurrent: boolean,
    ds: DeleteSet
  ): boolean {
    const below = (item: Y.Item): Y.Item | null => {
      const found = item.origin ? this.find(item.origin) : null;
      return found && found !== 'gc' ? found.item : null;
    };
    const topped = new Set<Y.Item>();
    for (const item of fresh) {
      const under = below(item);
      if (under) topped.add(under);
    }
    if (fresh.some((item) => !topped.has(item) && !isLive(item, ds))) return true;
    if (!deletesCurrent) return false;
    // Deleted: harmless only if it cannot end last.
    return !fresh.some((item) => {
      let under: Y.Item | null = item;
      for (let hops = 0; under && hops <= fresh.length; hops++) {
        if (under === current) return true;
        under = below(under);
      }
      return false;
    });
  }

  /** Document items covered by a deleted range (new items of this update are skipped). */
  *deletedItems(client: number, clock: number, len: number): Generator<Y.Item> {
    const end = clock + len;
    const known = Y.getState(this.doc.store, client);
    // New structs (items and collected garbage) continue the room's clocks
    // without a gap (checked above). Deleting what neither holds: Yjs would
    // keep the deletion pending.
    if (end > Math.max(known, this.ends.get(client) ?? 0)) {
      throw new Missing(`a deletion of ${client}:${clock}..${end} the room does not hold`);
    }
    const upTo = Math.min(end, known);
    const structs = clientStructs(this.doc, client);
    if (clock >= upTo || !structs) return;
    for (let i = Y.findIndexSS(structs, clock); i < structs.length; i++) {
      const struct = structs[i];
      if (struct.id.clock >= upTo) break;
      if (struct instanceof Y.Item && !struct.deleted) yield struct;
    }
  }
}

const EMPTY_ROOT: Container = { isNew: false, shape: 'other', get: () => undefined };

function shapeOf(type: YType): Container['shape'] {
  return type instanceof Y.Map ? 'map' : type instanceof Y.Array ? 'list' : 'other';
}

/** Identity of a (container, key) pair, to pair a deletion with the set that replaces it. */
function parentIdentity(parent: Parent): unknown {
  return parent.kind === 'root'
    ? `root:${parent.name}`
    : parent.kind === 'type'
      ? parent.type
      : parent.holder;
}

/** A fresh item that leaves a value a reader sees (not collected, not formatting, not deleted here). */
function isLive(item: Y.Item, ds: DeleteSet): boolean {
  return (
    !(item.content instanceof Y.ContentDeleted) &&
    !(item.content instanceof Y.ContentFormat) &&
    !Y.isDeleted(ds, item.id)
  );
}

/**
 * The writes an update makes to a document, or `missing` when some of it
 * depends on content neither holds. Writes under roots the policy leaves open
 * are not listed: nothing there is checked.
 *
 * Every new item is a `set` where it lands. A map key whose current value
 * the update may leave empty is also a `remove` (Resolver.mayEndEmpty): a
 * value set and deleted in one update, or the current value deleted with
 * nothing set on top of it, would otherwise remove a key no rule lets anyone
 * remove.
 */
export function writesOf(
  doc: Y.Doc,
  update: { structs: readonly Struct[]; ds: DeleteSet },
  policy: RoomPolicy
): UpdateWrites {
  if (onlyTypingUnderOpenRoots(doc, update, policy)) return { ok: true, writes: [] };
  try {
    const resolver = new Resolver(doc, update.structs);
    const writes: Write[] = [];
    /** Per (container, key) of an existing container: what the update does to it. */
    const keys = new Map<
      unknown,
      Map<string, { place: Place; root: string; fresh: Y.Item[]; deletesCurrent: boolean }>
    >();
    const touch = (place: Place, root: string) => {
      const id = parentIdentity(place.parent);
      let byKey = keys.get(id);
      if (!byKey) keys.set(id, (byKey = new Map()));
      let entry = byKey.get(place.key as string);
      if (!entry)
        byKey.set(place.key as string, (entry = { place, root, fresh: [], deletesCurrent: false }));
      return entry;
    };
    for (const { item, offset } of resolver.newItems()) {
      const place = resolver.place(item);
      if (place === DROPPED) continue;
      const root = resolver.rootOf(place.parent);
      // Nothing under an open root is judged (a document's body: typing).
      if (rootIsOpen(policy, root)) continue;
      const values = valuesOf(item, offset, (holder) => resolver.newContainer(holder));
      if (place.key !== null) {
        if (place.parent.kind === 'new') {
          resolver.noteNewValue(place.parent.holder, place.key, values);
        } else {
          touch(place, root).fresh.push(item);
        }
      }
      writes.push({ op: 'set', root, hops: resolver.hops(place).hops, values });
    }
    for (const [client, ranges] of update.ds.clients) {
      for (const range of ranges) {
        for (const item of resolver.deletedItems(client, range.clock, range.len)) {
          // Deleting a type deletes what it holds: the type's removal is the write.
          const holder = holderOf(item.parent as YType);
          if (holder && (holder.deleted || Y.isDeleted(update.ds, holder.id))) continue;
          const place: Place = {
            parent: resolver.typeParent(item.parent as YType),
            key: item.parentSub
          };
          const root = resolver.rootOf(place.parent);
          if (rootIsOpen(policy, root)) continue;
          if (place.key === null) {
            writes.push({ op: 'remove', root, hops: resolver.hops(place).hops, values: [] });
          } else {
            // Only a key's last item is live: this is its current value.
            touch(place, root).deletesCurrent = true;
          }
        }
      }
    }
    for (const byKey of keys.values()) {
      for (const [key, entry] of byKey) {
        const current = resolver.currentItem(entry.place.parent, key);
        if (!current) continue;
        if (!resolver.mayEndEmpty(entry.fresh, current, entry.deletesCurrent, update.ds)) continue;
        writes.push({
          op: 'remove',
          root: entry.root,
          hops: resolver.hops(entry.place).hops,
          values: []
        });
      }
    }
    return { ok: true, writes };
  } catch (error) {
    if (error instanceof Missing) return { ok: false, missing: error.message };
    if (error instanceof Unreadable) return { ok: false, unreadable: error.message };
    // A fault of this module, not of the update: refused all the same (nothing
    // unjudged is stored), under a reason the relay's log makes plain.
    return {
      ok: false,
      unreadable: `internal error while judging: ${error instanceof Error ? error.stack : String(error)}`
    };
  }
}

/**
 * The common case, decided without building a Resolver: typing. Every struct
 * continues its client's clock exactly, names no parent of its own, and has
 * an origin (and right origin, if any) the room holds as an item under a root
 * the policy leaves open; nothing is deleted. Yjs places such an item where
 * its origin is (Item.getMissing), so nothing judged can be touched. Anything
 * else takes the full path. Measured in bench part G: a keystroke into a
 * 50,000-word document.
 */
function onlyTypingUnderOpenRoots(
  doc: Y.Doc,
  update: { structs: readonly Struct[]; ds: DeleteSet },
  policy: RoomPolicy
): boolean {
  if (update.ds.clients.size > 0 || update.structs.length === 0) return false;
  const next = new Map<number, number>();
  for (const struct of update.structs) {
    if (!(struct instanceof Y.Item) || struct.parent !== null || struct.origin === null) {
      return false;
    }
    const client = struct.id.client;
    if (struct.id.clock !== (next.get(client) ?? Y.getState(doc.store, client))) return false;
    next.set(client, struct.id.clock + struct.length);
    for (const ref of [struct.origin, struct.rightOrigin]) {
      if (ref === null) continue;
      if (ref.clock >= Y.getState(doc.store, ref.client)) return false;
      const structs = clientStructs(doc, ref.client);
      const held = structs?.[Y.findIndexSS(structs, ref.clock)];
      if (!(held instanceof Y.Item)) return false;
      let type = held.parent as YType;
      for (let holder = holderOf(type); holder; holder = holderOf(type)) {
        type = holder.parent as YType;
      }
      let root: string | null = null;
      for (const [name, value] of doc.share) if (value === type) root = name;
      if (root === null || !rootIsOpen(policy, root)) return false;
    }
  }
  return true;
}
