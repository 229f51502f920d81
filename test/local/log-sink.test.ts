import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogSink } from '../../src/local/log-sink.ts';

describe('LogSink', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('appends every line to the file and keeps the last three problems for the dashboard', async () => {
    // Prepare
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'log-sink-'));
    dirs.push(dir);
    const sink = new LogSink(path.join(dir, 'stream-metrics.log'), () => Date.UTC(2026, 11, 6, 21, 0, 5));
    // Act
    sink.write('{"level":"info","message":"batch","stream":"clickstream","records":5}\n');
    sink.write('{"level":"warn","message":"sink write failed","stream":"clickstream","shard":"shardId-000000000000","error":"throttled"}\n{"level":"error","message":"batch failed","error":"boom"}\n');
    sink.write('poller transactions: {"type":"batch-failed"}');
    sink.write('not json {\n');
    sink.write('{"level":"error","message":"batch failed","error":"again"}\n');
    await sink.close();
    // Assert
    const text = fs.readFileSync(sink.path, 'utf8');
    expect(text.split('\n').filter(Boolean)).toHaveLength(6);
    expect(text).toContain('poller transactions: {"type":"batch-failed"}\n');
    expect(sink.recent()).toEqual(['21:00:05 error batch failed: boom', '21:00:05 poller transactions: {"type":"batch-failed"}', '21:00:05 error batch failed: again']);
  });

  it('hands each problem to onProblem as it is logged (stdout not a terminal: stderr shows them), not the batch lines', async () => {
    // Prepare
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'log-sink-'));
    dirs.push(dir);
    const seen: string[] = [];
    const sink = new LogSink(path.join(dir, 'x.log'), () => 0, (line) => seen.push(line));
    // Act
    sink.write('{"level":"info","message":"batch","stream":"clickstream","records":5}\n');
    sink.write('{"level":"error","message":"batch failed","error":"boom"}\n');
    await sink.close();
    // Assert
    expect(seen).toEqual(['00:00:00 error batch failed: boom']);
  });

  it('names the stream and shard of a worker warning', async () => {
    // Prepare
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'log-sink-'));
    dirs.push(dir);
    const sink = new LogSink(path.join(dir, 'x.log'), () => 0);
    // Act
    sink.write('{"level":"warn","message":"sink write failed","stream":"clickstream","shard":"shardId-000000000001","error":"throttled"}\n');
    await sink.close();
    // Assert
    expect(sink.recent()).toEqual(['00:00:00 warn clickstream/shardId-000000000001 sink write failed: throttled']);
  });
});
