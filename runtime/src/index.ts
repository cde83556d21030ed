export { type Config, configFromEnv, type HttpConfig, type RuntimeConfig, testConfig, VERSION } from './config.js';
export * from './engine/index.js';
export { type App, BODY_LIMIT, buildApp, FEATURE_PLUGINS } from './http/app.js';
export { type ComponentHealth, createRuntime, type HealthReport, type Runtime } from './kernel.js';
export { RunService, type StartedRun, type StartRunOptions } from './runs/run-service.js';
export { type OpenStoreOptions, openStore, SqliteStore, type Store, type StoreKind } from './store/index.js';
export { PostgresStore } from './store/postgres/store.js';
