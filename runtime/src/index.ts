export { type App, BODY_LIMIT, buildApp, FEATURE_PLUGINS, SERVICE_PLUGINS } from './app.js';
export { type Config, configFromEnv, testConfig, VERSION } from './config.js';
export * from './engine/index.js';
export type { ComponentHealth, HealthHooks } from './services/index.js';
export { RunService, type StartedRun, type StartRunOptions } from './services/run-service.js';
export { Store } from './services/store.js';
