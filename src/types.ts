/**
 * Shared types of the pipeline: what one Kinesis batch becomes on its way from bytes to
 * metric deltas. Pure data, no behaviour; every stage and sink speaks these.
 */

/** Logical stream names (SPEC §1). The physical stream name may differ (a prefix per stack). */
export type StreamKind = 'clickstream' | 'transactions';

/** The four outcomes of SPEC §2: every user record ends in exactly one. */
export type Outcome = 'counted' | 'filtered' | 'duplicate' | 'rejected';

/**
 * One Kinesis record as Lambda delivers it (`event.Records[i].kinesis`), reduced to the
 * fields the pipeline reads.
 */
export interface KinesisRecordInput {
  /** base64 of the record's data blob */
  data: string;
  sequenceNumber: string;
  partitionKey: string;
  /** seconds since the epoch, a float, as Lambda delivers it */
  approximateArrivalTimestamp: number;
}

/** Where a batch comes from: one shard of one stream (Lambda: one batch per shard). */
export interface BatchSource {
  stream: StreamKind;
  /** physical stream name (for bad-record positions and the `records` metric's `stream` dim) */
  streamName: string;
  shardId: string;
}

/**
 * Position of one user record: the Kinesis sequence number plus the KPL sub-sequence index
 * (0 for a record that is not a KPL aggregate). Records of one aggregate share a sequence
 * number, so the pair is the unit of replay and de-duplication.
 */
export interface RecordPosition {
  shardId: string;
  sequenceNumber: string;
  subSequence: number;
}

/**
 * A user record after decoding: either its JSON value or the reason it could not be
 * decoded. `posKey` sorts like the position (see `positionKey`).
 */
export interface DecodedRecord {
  position: RecordPosition;
  /** sortable encoding of `position`, comparable as strings (`src/position.ts`) */
  posKey: string;
  /** arrival time in the stream, epoch milliseconds */
  arrivalMs: number;
  /** size of the user record's data in bytes */
  size: number;
  /** raw data of the user record (base64), kept for the bad-records sink */
  rawBase64: string;
  /** the parsed JSON value, when decoding succeeded */
  value?: unknown;
  /**
   * True when `value` was parsed from the bytes read as Latin-1: its strings then hold each
   * UTF-8 byte as one character (`exactString` gives the text, `exactDecoded` the exact
   * record). Only with `DecodeOptions.latin1Strings`, which sets it on every parsed record.
   */
  latin1?: boolean;
  /** reject reason code when decoding failed */
  reject?: RejectReason;
  /** human-readable detail of the rejection */
  detail?: string;
}

/** Stable reason codes of rejected records (documented in README "Reason codes"). */
export const REJECT_REASONS = [
  'invalid_base64',
  'invalid_kpl_aggregate',
  'invalid_utf8',
  'invalid_json',
  'too_large',
  'schema_violation',
  'unknown_currency',
  'too_many_decimals',
  'amount_out_of_range',
  'invalid_timestamp',
  'future_timestamp',
  'too_late',
] as const;

/** A reason code of a rejected record. */
export type RejectReason = (typeof REJECT_REASONS)[number];

/** Stable reason codes of filtered records. */
export type FilterReason = 'test' | 'bot' | 'internal_ip';

/**
 * Reason code of duplicates. One code whether the earlier copy was in the same batch or
 * in the durable store: a bisected retry can move the copy from one case to the other.
 */
export type DuplicateReason = 'duplicate';

/** Cleaned clickstream event (SPEC §3). No raw IP, no e-mail address. */
export interface CleanClick {
  kind: 'clickstream';
  eventId: string;
  type: 'page_view' | 'click' | 'add_to_cart' | 'remove_from_cart' | 'checkout_started' | 'search';
  /** UTC epoch milliseconds */
  occurredAtMs: number;
  sessionId: string;
  anonymousId: string;
  userId: string | null;
  /** page dimension: host + path (`shop.example.com/Cart`) */
  page: string;
  pageHost: string;
  /** cleaned URL: scheme, host, port (non-default), path; no query except utm_*, no fragment */
  pageUrl: string;
  referrerHost: string | null;
  utmSource: string | null;
  utmMedium: string | null;
  utmCampaign: string | null;
  title: string | null;
  searchQuery: string | null;
  product: { sku: string; quantity: number; priceMinor: number | null; currency: string | null } | null;
  device: 'desktop' | 'mobile' | 'tablet' | 'other';
  /** ISO-3166 alpha-2, or `ZZ` */
  country: string;
  /** IPv4 /24 or IPv6 /48 prefix, e.g. `203.0.113.0/24`, or null */
  ipPrefix: string | null;
  userAgent: string | null;
}

/** Cleaned transaction (SPEC §3). Money in integer minor units of `currency`. */
export interface CleanTransaction {
  kind: 'transactions';
  transactionId: string;
  type: 'purchase' | 'refund';
  status: 'pending' | 'completed' | 'failed';
  occurredAtMs: number;
  customerId: string;
  amountMinor: number;
  /** ISO-4217, upper-case */
  currency: string;
  items: { sku: string; quantity: number; unitPriceMinor: number | null }[];
  paymentMethod: 'card' | 'paypal' | 'bank_transfer' | 'wallet' | 'other';
  country: string;
  sessionId: string | null;
  originalTransactionId: string | null;
}

export type CleanRecord = CleanClick | CleanTransaction;

/** A user record with its final outcome. */
export interface ClassifiedRecord {
  position: RecordPosition;
  posKey: string;
  arrivalMs: number;
  outcome: Outcome;
  /** reason code for every outcome but `counted` */
  reason: RejectReason | FilterReason | DuplicateReason | null;
  detail?: string;
  /** de-duplication key (`eventId`, or `transactionId|type|status`), when the record was valid */
  dedupeKey?: string;
  /** cleaned record, present for `counted` and `duplicate` (filtered records are not cleaned) */
  clean?: CleanRecord;
  /** raw data, present for `rejected` (the bad-records sink keeps it) */
  rawBase64?: string;
  /** set by bad-record replay: the outcome this record had before, whose count it takes over */
  replaces?: { outcome: Outcome; reason: string | null };
}

/**
 * The durable de-duplication store (SPEC §2 "duplicate"): remembers which position first
 * counted each key. Implementations: in-memory (tests, `DEDUPE_MODE=memory`), none (`off`),
 * and DynamoDB conditional puts (the sinks).
 */
export interface DedupeStore {
  /**
   * Claims each key for its position. A key is `new` when nobody claimed it within the
   * horizon (measured with arrival times, never the processing clock) or when it was
   * claimed by this very position (a replay of itself); otherwise it is `duplicate`.
   * Claims are made in input order; the result has one entry per input, in order.
   */
  claim(claims: readonly DedupeClaim[]): Promise<('new' | 'duplicate')[]>;
}

export interface DedupeClaim {
  stream: StreamKind;
  key: string;
  posKey: string;
  /**
   * The shard of the position: SPEC §2 names a record by (shard, sequence number), and
   * Kinesis documents a sequence number as unique within its shard only, so the same
   * sequence number on two shards is two records (the pipeline always sets it; a store
   * test may leave it out, and then the sequence number alone names the position).
   */
  shardId?: string;
  arrivalMs: number;
}

/**
 * A mergeable sketch cell value as stored: base64 of the sketch's deterministic bytes.
 * Kind tells how to merge it.
 */
export type SketchKind = 'hll' | 'ddsketch';

/**
 * Counter deltas of one storage item (one group, one 1-minute window) contributed by one
 * batch. The sinks apply it exactly once per shard using the high-water mark: only
 * contributions with a position after the item's mark for this shard are applied.
 */
export interface CounterItemDelta {
  /** storage group (`src/metrics/catalog.ts`): decides which cells share an item */
  group: string;
  /** bucket of the group (high-cardinality groups are spread over several items) */
  bucket: number;
  /** window start, epoch ms, aligned to the minute */
  windowStart: number;
  /** cell name (`encodeCell`) → delta */
  cells: Map<string, number>;
  /** first and last contributing record positions (posKey) */
  firstPos: string;
  lastPos: string;
}

/** Sketch contributions of one storage item for one shard (per-shard partials, merged on read). */
export interface SketchItemDelta {
  group: string;
  windowStart: number;
  /** cell name → sketch of this batch's contributions */
  cells: Map<string, { kind: SketchKind; bytes: Uint8Array }>;
  firstPos: string;
  lastPos: string;
}

/** The output of one batch: everything the sinks need to make its effect exactly-once. */
export interface BatchResult {
  source: BatchSource;
  records: ClassifiedRecord[];
  counters: CounterItemDelta[];
  sketches: SketchItemDelta[];
  /** the rejected records (also in `records`) */
  rejected: ClassifiedRecord[];
  counts: Record<Outcome, number>;
}

/**
 * A clickstream event that passed validation (`src/validate/`), before cleaning
 * (`src/clean/`). Strings are as the producer sent them (not yet trimmed); times and money
 * are already converted.
 */
export interface ValidClick {
  eventId: string;
  type: CleanClick['type'];
  occurredAtMs: number;
  sessionId: string;
  anonymousId: string;
  userId: string | null;
  page: { url: string; referrer?: string; title?: string };
  product?: { sku: string; quantity: number; priceMinor: number; currency: string };
  search?: { query: string };
  userAgent?: string;
  ip?: string;
  /** as sent; normalised (or `ZZ`) by cleaning */
  country?: string;
  test?: boolean;
}

/** A transaction that passed validation, before cleaning. Money already in minor units. */
export interface ValidTransaction {
  transactionId: string;
  type: CleanTransaction['type'];
  status: CleanTransaction['status'];
  occurredAtMs: number;
  customerId: string;
  amountMinor: number;
  /** upper-case ISO-4217 */
  currency: string;
  items: { sku: string; quantity: number; unitPriceMinor: number | null }[];
  paymentMethod: CleanTransaction['paymentMethod'];
  country?: string;
  sessionId?: string;
  originalTransactionId?: string;
  test?: boolean;
}

/** Absolute value of one counter cell after a sink write, for the Redshift mirror. */
export interface CounterRow {
  metric: string;
  /** dimension name → value, e.g. `{ currency: 'USD' }`; `{}` for none */
  dims: Record<string, string>;
  windowStart: number;
  value: number;
  /** the storage item's update count; a newer version overwrites, an older one is ignored */
  version: number;
}

/** Absolute state of one sketch cell of one shard's partial, for the Redshift mirror. */
export interface SketchRow {
  metric: string;
  dims: Record<string, string>;
  windowStart: number;
  shardId: string;
  kind: SketchKind;
  /** base64 of the sketch bytes */
  sketch: string;
  version: number;
}
