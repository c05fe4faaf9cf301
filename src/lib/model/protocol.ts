/**
 * The wire protocol between the app and the relay: the standard y-websocket
 * messages plus one extension, shared by client and server so both sides name
 * the same numbers.
 *
 * Every message is binary: a varUint message type, then its payload.
 * - 0 sync (y-protocols/sync: step 1, step 2, update)
 * - 1 awareness (y-protocols/awareness update)
 * - 2 auth (reserved by y-protocols; the relay ignores it)
 * - 3 query awareness (the relay answers with every awareness state)
 * - 100 confirm (extension): the client sends a varUint sequence number; the
 *   relay answers with the same number once everything the client sent on this
 *   connection before it is durably stored. A client that never sends it never
 *   receives it, so a standard y-websocket client is unaffected.
 */
export const MESSAGE = {
  sync: 0,
  awareness: 1,
  auth: 2,
  queryAwareness: 3,
  confirm: 100
} as const;

/** Close codes the relay uses, with the standard meanings of RFC 6455. */
export const CLOSE = {
  /** Server shutting down or room unloaded. */
  goingAway: 1001,
  /** A text frame: the protocol is binary only. */
  unsupportedData: 1003,
  /** A frame that does not decode, or an update Yjs cannot apply. */
  invalidPayload: 1007,
  /**
   * Against the relay's policy: an awareness state too large, malformed in its
   * user field, or touching a presence another connection owns.
   */
  policyViolation: 1008,
  /** A frame larger than the relay's cap. */
  messageTooBig: 1009,
  /** The store failed; the update was not stored. */
  internalError: 1011,
  /**
   * "Try again later": too many messages or bytes per second, too many queued,
   * or a client not reading what the relay sends. Reconnecting (with backoff)
   * is the cure; the relay resends the document on the new connection.
   */
  tryAgainLater: 1013,
  /** Refused by the access policy (admission or update). */
  forbidden: 4403
} as const;

/** Path under which the relay serves rooms: ws://HOST:PORT/sync/<room>. */
export const SYNC_PATH = '/sync';

/** Default cap on one incoming message: 16 MiB (a 50,000-word document is ~0.5 MiB). */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
