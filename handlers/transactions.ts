/**
 * Lambda handler for the `transactions` stream (Kinesis event source mapping with
 * ReportBatchItemFailures). Wiring only: configuration and clients are built once per cold
 * start; the work is in `src/`.
 */
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { loadConfig } from '../src/config.ts';
import { writeLogLine } from '../src/emf.ts';
import { createSinks } from '../src/sinks/create-sinks.ts';
import { createWorker } from '../src/worker.ts';

const config = loadConfig();
const { sinks, dedupeStore } = createSinks(config, 'transactions');
const worker = createWorker('transactions', { config, sinks, dedupeStore, log: writeLogLine });

export const handler = (event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> => worker.handle(event);
