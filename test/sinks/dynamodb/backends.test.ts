/**
 * The choice of DynamoDB backends for the sink tests: DynamoDB Local may be left out (with a
 * warning) only where it is not required; CI requires it, so a missing JRE fails CI loudly.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dynamoBackendNames, dynamoDbLocalRequired } from './backends.ts';

describe('dynamoBackendNames', () => {
  it('runs both backends when Java is there', () => {
    // Act
    const names = dynamoBackendNames({ java: true, env: { CI: 'true' } });
    // Assert
    expect(names).toEqual(['dynalite', 'dynamodb-local']);
  });

  it('is an error without Java where DynamoDB Local is required', () => {
    // Act / Assert: REQUIRE_DYNAMODB_LOCAL=1, or any CI
    for (const env of [{ REQUIRE_DYNAMODB_LOCAL: '1' }, { CI: 'true' }, { CI: '1' }, { CI: 'woodpecker' }]) {
      expect(() => dynamoBackendNames({ java: false, env, warn: () => {} }), JSON.stringify(env)).toThrow(/DynamoDB Local is required.*no `java` on PATH.*REQUIRE_DYNAMODB_LOCAL=0/);
    }
  });

  it('leaves DynamoDB Local out with a warning on a developer machine without Java', () => {
    // Prepare
    const warnings: string[] = [];
    // Act: no CI at all, CI switched off, or explicitly not required on a CI
    const runs = [{}, { CI: 'false' }, { CI: '' }, { CI: 'true', REQUIRE_DYNAMODB_LOCAL: '0' }].map((env) => dynamoBackendNames({ java: false, env, warn: (m) => warnings.push(m) }));
    // Assert
    expect(runs).toEqual([['dynalite'], ['dynalite'], ['dynalite'], ['dynalite']]);
    expect(warnings).toHaveLength(4);
    expect(warnings[0]).toMatch(/DynamoDB Local tests skipped: no `java` on PATH/);
  });

  it('is required by the CI script', () => {
    // Prepare: the environment `.ci/run` gives `npm test`
    const script = fs.readFileSync(new URL('../../../.ci/run', import.meta.url), 'utf8');
    const exported = Object.fromEntries([...script.matchAll(/^export ([A-Z_]+)=(\S*)$/gm)].map((m) => [m[1]!, m[2]!]));
    // Act / Assert
    expect(dynamoDbLocalRequired(exported)).toBe(true);
    expect(script.search(/^export REQUIRE_DYNAMODB_LOCAL=1$/m)).toBeLessThan(script.search(/^npm test$/m));
  });
});
