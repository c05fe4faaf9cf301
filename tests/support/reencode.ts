/**
 * Re-encodes a V1 update after changing its structs, as an old or hostile
 * client could send it (for example a map value in the older ContentJSON
 * encoding). Writes what Yjs's own writeStructs / writeDeleteSet write.
 */
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';

type Struct = ReturnType<typeof Y.decodeUpdate>['structs'][number];

export function reencodeUpdate(update: Uint8Array, change: (item: Y.Item) => void): Uint8Array {
  const { structs, ds } = Y.decodeUpdate(update);
  for (const struct of structs) if (struct instanceof Y.Item) change(struct);
  return encodeStructs(structs, ds);
}

/**
 * Encodes structs (items, GC, skips) and a delete set as one V1 update,
 * trusting them as given (ids, content, origins), so a test may change them
 * first. Structs of one client must be consecutive in clock order.
 */
export function encodeStructs(
  structs: readonly Struct[],
  ds: ReturnType<typeof Y.decodeUpdate>['ds']
): Uint8Array {
  const byClient = new Map<number, Struct[]>();
  for (const struct of structs) {
    const list = byClient.get(struct.id.client) ?? [];
    list.push(struct);
    byClient.set(struct.id.client, list);
  }
  return encodeBlocks(
    [...byClient].sort((a, b) => b[0] - a[0]).map(([, list]) => list),
    ds
  );
}

/**
 * Writes each block (one client's consecutive structs) as given, in order:
 * also a client twice, which no Yjs encoder does.
 */
export function encodeBlocks(
  blocks: readonly (readonly Struct[])[],
  ds: ReturnType<typeof Y.decodeUpdate>['ds']
): Uint8Array {
  const encoder = new Y.UpdateEncoderV1();
  encoding.writeVarUint(encoder.restEncoder, blocks.length);
  for (const list of blocks) {
    encoding.writeVarUint(encoder.restEncoder, list.length);
    encoder.writeClient(list[0].id.client);
    encoding.writeVarUint(encoder.restEncoder, list[0].id.clock);
    for (const struct of list) struct.write(encoder, 0);
  }
  encoding.writeVarUint(encoder.restEncoder, ds.clients.size);
  for (const [client, items] of [...ds.clients].sort((a, b) => b[0] - a[0])) {
    encoder.resetDsCurVal();
    encoding.writeVarUint(encoder.restEncoder, client);
    encoding.writeVarUint(encoder.restEncoder, items.length);
    for (const item of items) {
      encoder.writeDsClock(item.clock);
      encoder.writeDsLen(item.len);
    }
  }
  return encoder.toUint8Array();
}

/** A map value stored as ContentJSON instead of ContentAny. */
export function asJsonContent(item: Y.Item): void {
  if (item.content instanceof Y.ContentAny) {
    item.content = new Y.ContentJSON(item.content.getContent());
  }
}
