export * from './define.js';
export * from './migrations.js';
export * from './registry.js';
export * from './services.js';
export * from './spec/index.js';
