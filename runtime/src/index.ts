export { type Config, configFromEnv, testConfig, VERSION } from './config.js';
export * from './engine/index.js';
export { type App, BODY_LIMIT, buildApp, FEATURE_PLUGINS, SERVICE_PLUGINS } from './http/app.js';
export { RunService, type StartedRun, type StartRunOptions } from './runs/run-service.js';
export type { ComponentHealth, HealthHooks } from './services/index.js';
export { Store } from './store/store.js';
