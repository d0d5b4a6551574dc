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

  test('session lifetimes: 30 idle and 90 absolute days by default; whole days; the absolute one at least the idle one', () => {
    const DAY = 24 * 60 * 60 * 1000;
    assert.deepEqual(loadConfig({}).sessions, { idleMs: 30 * DAY, absoluteMs: 90 * DAY });
    assert.deepEqual(loadConfig({ SESSION_IDLE_DAYS: '7', SESSION_MAX_DAYS: '14' }).sessions, { idleMs: 7 * DAY, absoluteMs: 14 * DAY });
    for (const bad of ['0', '-1', '1.5', 'ninety', '99999']) assertRefused({ SESSION_MAX_DAYS: bad }, 'SESSION_MAX_DAYS');
    assertRefused({ SESSION_IDLE_DAYS: 'x' }, 'SESSION_IDLE_DAYS');
    assertRefused({ SESSION_IDLE_DAYS: '30', SESSION_MAX_DAYS: '10' }, 'SESSION_MAX_DAYS');
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

  test('DATABASE_PREPARE is on (the default) or off', () => {
    assert.equal(loadConfig({}).preparedStatements, true);
    assert.equal(loadConfig({ DATABASE_PREPARE: 'off' }).preparedStatements, false);
    assert.equal(loadConfig({ DATABASE_PREPARE: ' ON ' }).preparedStatements, true);
    assertRefused({ DATABASE_PREPARE: 'no' }, 'DATABASE_PREPARE');
  });

  describe('files: ATTACHMENTS, ATTACHMENT_MAX_MB, ATTACHMENT_DAILY_MB', () => {
    const MB = 1024 * 1024;

    test('defaults: on, 10 MB a file, 200 MB a day (in bytes)', () => {
      assert.deepEqual(loadConfig({}).attachments, { enabled: true, maxFileBytes: 10 * MB, dailyBytes: 200 * MB });
      assert.deepEqual(loadConfig({ ATTACHMENTS: '', ATTACHMENT_MAX_MB: '', ATTACHMENT_DAILY_MB: '' }).attachments, { enabled: true, maxFileBytes: 10 * MB, dailyBytes: 200 * MB }, 'empty strings count as unset');
      assert.deepEqual(loadConfig({ ATTACHMENTS: '  ', ATTACHMENT_MAX_MB: ' ', ATTACHMENT_DAILY_MB: '\t' }).attachments, { enabled: true, maxFileBytes: 10 * MB, dailyBytes: 200 * MB }, 'so do blanks');
    });

    test('ATTACHMENTS is on or off', () => {
      assert.equal(loadConfig({ ATTACHMENTS: 'on' }).attachments.enabled, true);
      assert.equal(loadConfig({ ATTACHMENTS: 'off' }).attachments.enabled, false);
      // Read like the other choices: case and surrounding spaces do not matter.
      assert.equal(loadConfig({ ATTACHMENTS: 'OFF' }).attachments.enabled, false);
      assert.equal(loadConfig({ ATTACHMENTS: ' On ' }).attachments.enabled, true);
    });

    test('ATTACHMENTS=off keeps the size limits as they are read', () => {
      assert.deepEqual(loadConfig({ ATTACHMENTS: 'off', ATTACHMENT_MAX_MB: '5' }).attachments, { enabled: false, maxFileBytes: 5 * MB, dailyBytes: 200 * MB });
    });

    // Only on and off: not the boolean words TRUST_PROXY takes, nor anything else.
    for (const bad of ['true', 'false', 'yes', 'no', '1', '0', 'enabled', 'disabled', 'of', 'onn', 'on off']) {
      test(`ATTACHMENTS=${JSON.stringify(bad)} is refused, naming ATTACHMENTS`, () => {
        assertRefused({ ATTACHMENTS: bad }, 'ATTACHMENTS');
      });
    }

    for (const variable of ['ATTACHMENT_MAX_MB', 'ATTACHMENT_DAILY_MB'] as const) {
      const read = (value: string) => {
        const { attachments } = loadConfig({ [variable]: value });
        return variable === 'ATTACHMENT_MAX_MB' ? attachments.maxFileBytes : attachments.dailyBytes;
      };

      test(`${variable}: whole and decimal megabytes, as bytes`, () => {
        assert.equal(read('25'), 25 * MB);
        assert.equal(read('1'), MB);
        assert.equal(read('0.5'), MB / 2);
        assert.equal(read('2.25'), 2.25 * MB);
        assert.equal(read('0.001'), Math.round(0.001 * MB));
        assert.equal(read(' 15 '), 15 * MB, 'spaces around are ignored');
        assert.equal(read('007'), 7 * MB);
        assert.equal(read('1024'), 1024 * MB, '1024 is the most');
        assert.equal(read('1023.99'), Math.round(1023.99 * MB));
        for (const value of ['0.5', '2.25', '0.001', '1023.99', '3.3333']) assert.ok(Number.isInteger(read(value)), `${value} MB is a whole number of bytes`);
      });

      test(`${variable} does not change the other limit`, () => {
        const { attachments } = loadConfig({ [variable]: '3' });
        if (variable === 'ATTACHMENT_MAX_MB') assert.equal(attachments.dailyBytes, 200 * MB);
        else assert.equal(attachments.maxFileBytes, 10 * MB);
        assert.equal(attachments.enabled, true);
      });

      for (const bad of ['0', '0.0', '00', '-1', '-0.5', '-0', '1025', '1024.01', '2048', '99999999999', 'abc', 'ten', '10MB', '10 MB', '1,5', '1e3', '1e-3', '0x10', 'Infinity', 'NaN', '+5', '5..5', '.']) {
        test(`${variable}=${JSON.stringify(bad)} is refused, naming ${variable}`, () => {
          assertRefused({ [variable]: bad }, variable);
        });
      }
    }

    test('a bad size stops the boot even with files off', () => {
      assertRefused({ ATTACHMENTS: 'off', ATTACHMENT_MAX_MB: 'lots' }, 'ATTACHMENT_MAX_MB');
      assertRefused({ ATTACHMENTS: 'off', ATTACHMENT_DAILY_MB: '0' }, 'ATTACHMENT_DAILY_MB');
    });

    test('a refusal names the variable that is wrong, not its neighbour', () => {
      assert.throws(() => loadConfig({ ATTACHMENT_MAX_MB: '5', ATTACHMENT_DAILY_MB: '-5' }), (err: unknown) => err instanceof ConfigError && err.message.includes('ATTACHMENT_DAILY_MB') && !err.message.includes('ATTACHMENT_MAX_MB'));
      assert.throws(() => loadConfig({ ATTACHMENT_MAX_MB: 'x', ATTACHMENT_DAILY_MB: '5' }), (err: unknown) => err instanceof ConfigError && err.message.includes('ATTACHMENT_MAX_MB') && !err.message.includes('ATTACHMENT_DAILY_MB'));
      assert.throws(() => loadConfig({ ATTACHMENTS: 'maybe' }), (err: unknown) => err instanceof ConfigError && /ATTACHMENTS\b/.test(err.message) && err.message.includes('maybe'));
    });

    // A value too small to be a single byte is 0 in effect, like ATTACHMENT_MAX_MB=0, which is
    // refused: it should be refused too (or at least give 1 byte), not turn every upload away.
    test('a value that rounds to 0 bytes is not accepted as a limit of 0', () => {
      for (const variable of ['ATTACHMENT_MAX_MB', 'ATTACHMENT_DAILY_MB']) {
        let bytes: number | undefined;
        try {
          const { attachments } = loadConfig({ [variable]: '0.0000001' });
          bytes = variable === 'ATTACHMENT_MAX_MB' ? attachments.maxFileBytes : attachments.dailyBytes;
        } catch (err) {
          assert.ok(err instanceof ConfigError && err.message.includes(variable));
          continue;
        }
        assert.ok(bytes > 0, `${variable}=0.0000001 gives ${bytes} bytes`);
      }
    });
  });

  test('the first bad variable stops the boot even when others are fine', () => {
    assertRefused({ PORT: '3001', DATABASE_URL: 'postgres://localhost/x', LOG_LEVEL: 'nope' }, 'LOG_LEVEL');
  });
});
