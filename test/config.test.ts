import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { ConfigError } from '../src/errors.ts';

describe('loadConfig', () => {
  it('has the SPEC defaults', () => {
    // Act
    const c = loadConfig({});
    // Assert
    expect(c.validate).toEqual({ allowedLatenessMs: 7 * 86_400_000, futureToleranceMs: 300_000 });
    expect(c.dedupe).toEqual({ clickstream: 'exact', writes: 'single', horizonsMs: { clickstream: 3_600_000, transactions: 86_400_000 } });
    expect(c.badRecordRetentionDays).toBe(14);
    expect(c.internalCidrs.size).toBe(0);
  });

  it('names the bad setting', () => {
    expect(() => loadConfig({ ALLOWED_LATENESS_SECONDS: 'soon' })).toThrow(ConfigError);
    expect(() => loadConfig({ ALLOWED_LATENESS_SECONDS: 'soon' })).toThrow(/^ALLOWED_LATENESS_SECONDS: /);
    expect(() => loadConfig({ CLICKSTREAM_DEDUPE: 'maybe' })).toThrow(/^CLICKSTREAM_DEDUPE: /);
    expect(() => loadConfig({ INTERNAL_CIDRS: '10.0.0.0/99' })).toThrow(/INTERNAL_CIDRS/);
    expect(() => loadConfig({ CHAOS: 'crash=7' })).toThrow(/^CHAOS: /);
    expect(() => loadConfig({ DEDUPE_WRITES: 'batch' })).toThrow(/^DEDUPE_WRITES: /);
  });

  it('reads overrides', () => {
    // Act
    const c = loadConfig({ CLICKSTREAM_DEDUPE: 'memory', DEDUPE_WRITES: 'transact', INTERNAL_CIDRS: '10.0.0.0/8, 192.168.0.0/16', FIREHOSE_CLICKSTREAM: '', REDSHIFT_WORKGROUP: 'wg' });
    // Assert
    expect(c.dedupe.clickstream).toBe('memory');
    expect(c.dedupe.writes).toBe('transact');
    expect(c.internalCidrs.contains('10.1.2.3')).toBe(true);
    expect(c.firehose.clickstream).toBe('');
    expect(c.redshift.target).toEqual({ database: 'dev', workgroupName: 'wg' });
  });
});
