/** What every Firehose operation handler gets. */
import type { FirehoseEngine } from './engine.ts';

export interface FirehoseContext {
  engine: FirehoseEngine;
  region: string;
  /** returns true to fail the record at `index` of a put with ServiceUnavailableException (tests) */
  failRecord?: (deliveryStream: string, index: number) => boolean;
}
