import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig, projectRoot } from '../../src/config.js';

/** Expects loadConfig(env) to throw a ConfigError whose message names the variable. */
function assertRefused(env: Record<string, string | undefined>, variable: string) {
  assert.throws(
    () => loadConfig(env),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, `a ConfigError for ${JSON.stringify(env)}`);
      assert.equal(err.name, 'ConfigError');
      assert.ok(err.message.includes(variable), `the message names ${variable}: ${err.message}`);
      return true;
    },
  );
}

describe('loadConfig', () => {
  test('defaults with an empty environment', () => {
    const config = loadConfig({});
    assert.equal(config.port, 3000);
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.sessionSecret, undefined);
    assert.equal(config.trustProxy, false);
    assert.equal(config.production, false);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.embeddedDataDir, path.resolve(projectRoot, '.data/postgres'));
  });

  test('empty strings count as unset', () => {
    const config = loadConfig({ PORT: '', DATABASE_URL: '', SESSION_SECRET: '', TRUST_PROXY: '', LOG_LEVEL: '' });
    assert.equal(config.port, 3000);
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.sessionSecret, undefined);
    assert.equal(config.trustProxy, false);
    assert.equal(config.logLevel, 'info');
  });

  test('valid values are read', () => {
    const secret = 's'.repeat(32);
    const config = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'postgres://courier:pw@db.example:5432/courier',
      SESSION_SECRET: secret,
      TRUST_PROXY: 'true',
      LOG_LEVEL: 'DEBUG',
      NODE_ENV: 'production',
    });
    assert.equal(config.port, 8080);
    assert.equal(config.databaseUrl, 'postgres://courier:pw@db.example:5432/courier');
    assert.equal(config.sessionSecret, secret);
    assert.equal(config.trustProxy, true);
    assert.equal(config.logLevel, 'debug');
    assert.equal(config.production, true);
  });

  test('PORT bounds: 1 and 65535 are fine', () => {
    assert.equal(loadConfig({ PORT: '1' }).port, 1);
    assert.equal(loadConfig({ PORT: '65535' }).port, 65535);
  });

  for (const bad of ['abc', '0', '70000', '65536', '-1', '80.5', '1e3']) {
    test(`PORT=${JSON.stringify(bad)} is refused, naming PORT`, () => {
      assertRefused({ PORT: bad }, 'PORT');
    });
  }

  test('DATABASE_URL: postgresql:// is accepted too', () => {
    assert.equal(loadConfig({ DATABASE_URL: 'postgresql://localhost/courier' }).databaseUrl, 'postgresql://localhost/courier');
  });

  for (const bad of ['mysql://root@localhost/courier', 'http://localhost:5432/courier', 'not a url', 'localhost:5432']) {
    test(`DATABASE_URL=${JSON.stringify(bad)} is refused, naming DATABASE_URL`, () => {
      assertRefused({ DATABASE_URL: bad }, 'DATABASE_URL');
    });
  }

  test('SESSION_SECRET shorter than 32 characters is refused, naming SESSION_SECRET', () => {
    assertRefused({ SESSION_SECRET: 'x'.repeat(31) }, 'SESSION_SECRET');
    assertRefused({ SESSION_SECRET: 'short' }, 'SESSION_SECRET');
    assert.equal(loadConfig({ SESSION_SECRET: 'x'.repeat(32) }).sessionSecret, 'x'.repeat(32));
  });

  test('TRUST_PROXY must be a boolean word', () => {
    assertRefused({ TRUST_PROXY: 'maybe' }, 'TRUST_PROXY');
    for (const yes of ['1', 'true', 'yes', 'on', 'TRUE']) assert.equal(loadConfig({ TRUST_PROXY: yes }).trustProxy, true, yes);
    for (const no of ['0', 'false', 'no', 'off']) assert.equal(loadConfig({ TRUST_PROXY: no }).trustProxy, false, no);
  });

  test('LOG_LEVEL must be a known level', () => {
    assertRefused({ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL');
    assertRefused({ LOG_LEVEL: 'loud' }, 'LOG_LEVEL');
    for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) assert.equal(loadConfig({ LOG_LEVEL: level }).logLevel, level);
  });

  test('the first bad variable stops the boot even when others are fine', () => {
    assertRefused({ PORT: '3001', DATABASE_URL: 'postgres://localhost/x', LOG_LEVEL: 'nope' }, 'LOG_LEVEL');
  });
});
