import { describe, expect, it } from 'vitest';
import { withEmf } from '../../../src/emf.ts';
import { compactEmf, sandboxOutput } from '../../../src/local/poller/sandbox-output.ts';

describe('compactEmf', () => {
  it('leaves out the EMF metadata of a structured line and keeps everything else', () => {
    // Prepare
    const line = JSON.stringify(withEmf({ level: 'info', message: 'batch', stream: 'clickstream', records: 5 }, ['stream'], { records: 'Count' }));
    // Act + Assert
    expect(compactEmf(line)).toBe('{"level":"info","message":"batch","stream":"clickstream","records":5}');
    for (const other of ['plain text', '{"message":"no metrics"}', '{"_aws": broken json', '']) expect(compactEmf(other)).toBe(other);
  });
});

describe('sandboxOutput', () => {
  it('passes on whole lines, however the chunks split them', () => {
    // Prepare
    const out: string[] = [];
    const write = sandboxOutput((t) => out.push(t));
    const emf = JSON.stringify(withEmf({ message: 'batch', records: 1 }, [], { records: 'Count' }));
    // Act
    write('first li');
    write(`ne\n${emf.slice(0, 10)}`);
    write(`${emf.slice(10)}\nlast\n`);
    // Assert
    expect(out.join('')).toBe('first line\n{"message":"batch","records":1}\nlast\n');
  });
});
