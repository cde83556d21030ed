import { describe, expect, it } from 'vitest';
import { configFromEnv, ENVIRONMENT } from './config.js';

describe('configFromEnv', () => {
  it('reads the publishing limits as whole numbers', () => {
    const config = configFromEnv({ FLOWLOOM_RUN_TIMEOUT_MS: '5000', FLOWLOOM_KEY_RATE_LIMIT: '60', PORT: '8080' });
    expect(config.publish).toEqual({ runTimeoutMs: 5000, rateLimitPerMinute: 60 });
    expect(config.port).toBe(8080);
    expect(configFromEnv({ FLOWLOOM_RUN_TIMEOUT_MS: ' ' }).publish?.runTimeoutMs).toBeUndefined();
  });

  it('refuses a bad value with the variable it came from, instead of starting with no limit', () => {
    expect(() => configFromEnv({ FLOWLOOM_RUN_TIMEOUT_MS: 'abc' })).toThrow(
      'FLOWLOOM_RUN_TIMEOUT_MS must be a whole number from 100 to 3600000, got "abc"',
    );
    expect(() => configFromEnv({ FLOWLOOM_RUN_TIMEOUT_MS: '0' })).toThrow(/FLOWLOOM_RUN_TIMEOUT_MS/);
    expect(() => configFromEnv({ FLOWLOOM_RUN_TIMEOUT_MS: '99999999999' })).toThrow(/FLOWLOOM_RUN_TIMEOUT_MS/);
    expect(() => configFromEnv({ FLOWLOOM_KEY_RATE_LIMIT: '1.5' })).toThrow(/FLOWLOOM_KEY_RATE_LIMIT/);
    expect(() => configFromEnv({ PORT: '70000' })).toThrow(/PORT/);
  });

  it('reads the variables of ENVIRONMENT and nothing else, with their documented defaults', () => {
    const read = new Set<string>();
    const env = new Proxy({} as Record<string, string | undefined>, {
      get: (_target, name) => {
        read.add(String(name));
        return undefined;
      },
    });
    const config = configFromEnv(env);
    expect([...read].sort()).toEqual(ENVIRONMENT.map((variable) => variable.name).sort());
    const defaults = Object.fromEntries(
      ENVIRONMENT.map((variable) => [variable.name, (variable as { default?: string }).default]),
    );
    expect([String(config.port), config.host, config.dataDir]).toEqual([
      defaults.PORT,
      defaults.HOST,
      defaults.FLOWLOOM_DATA,
    ]);
    expect(config.logger).toEqual({ level: defaults.LOG_LEVEL });
  });

  it('turns the OTLP export on from the standard OTEL_* variables, off without an endpoint or when disabled', () => {
    expect(configFromEnv({}).otlp).toBeUndefined();
    const base = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' };
    expect(configFromEnv(base).otlp).toEqual({
      url: 'http://collector:4318/v1/traces',
      protocol: 'http/protobuf',
      headers: {},
      serviceName: 'flowloom',
      resourceAttributes: {},
      timeoutMs: undefined,
    });
    const full = configFromEnv({
      ...base,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Basic%20abc, x-team = ai',
      OTEL_SERVICE_NAME: 'support-bot',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod',
      OTEL_EXPORTER_OTLP_TIMEOUT: '3000',
    }).otlp;
    expect(full).toMatchObject({
      url: 'https://traces.example/otlp',
      protocol: 'http/json',
      headers: { authorization: 'Basic abc', 'x-team': 'ai' },
      serviceName: 'support-bot',
      resourceAttributes: { 'deployment.environment': 'prod' },
      timeoutMs: 3000,
    });
    expect(configFromEnv({ ...base, OTEL_SDK_DISABLED: 'true' }).otlp).toBeUndefined();
    expect(() => configFromEnv({ ...base, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(
      'OTEL_EXPORTER_OTLP_PROTOCOL must be http/protobuf or http/json, got "grpc"',
    );
    expect(() => configFromEnv({ ...base, OTEL_EXPORTER_OTLP_HEADERS: 'novalue' })).toThrow(
      /OTEL_EXPORTER_OTLP_HEADERS/,
    );
  });

  it('reads the SSRF allowances of http nodes', () => {
    expect(
      configFromEnv({ FLOWLOOM_HTTP_ALLOW_PRIVATE: '1', FLOWLOOM_HTTP_ALLOW_HOSTS: 'a.internal, 10.0.0.0/8' }).http,
    ).toEqual({
      allowPrivate: true,
      allowHosts: ['a.internal', '10.0.0.0/8'],
    });
    expect(configFromEnv({}).http).toEqual({ allowPrivate: false, allowHosts: [] });
  });

  it('takes a postgres:// DATABASE_URL, and refuses anything else in one line naming it, without the password', () => {
    expect(configFromEnv({}).databaseUrl).toBeUndefined();
    expect(configFromEnv({ DATABASE_URL: ' ' }).databaseUrl).toBeUndefined();
    const url = 'postgres://flowloom:secret@db.internal:5432/flowloom';
    expect(configFromEnv({ DATABASE_URL: url }).databaseUrl).toBe(url);
    expect(configFromEnv({ DATABASE_URL: 'postgresql://127.0.0.1/x' }).databaseUrl).toBe('postgresql://127.0.0.1/x');
    for (const bad of ['mysql://root:secret@host/db', 'not a url', 'postgres://', 'sqlite:///tmp/x.db']) {
      let message = '';
      try {
        configFromEnv({ DATABASE_URL: bad });
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/^DATABASE_URL must be a postgres:\/\/ URL/);
      expect(message).not.toContain('\n');
      expect(message).not.toContain('secret');
    }
  });
});
