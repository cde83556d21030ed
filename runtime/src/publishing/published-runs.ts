import { AppError, type Values } from '@flowloom/nodes';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import { adminTokenHook } from '../http/auth.js';
import { ProviderSettings, settingsLlm } from '../providers/provider-settings.js';
import { SecretBox } from '../providers/secrets.js';
import type { StartedRun, StartRunOptions } from '../runs/run-service.js';
import { adminAuthMode } from './auth.js';
import { KeyService } from './keys.js';
import { RateLimiter } from './rate-limiter.js';
import { type Overrides, PublishedService, type PublishedVersion } from './versions.js';

declare module 'fastify' {
  interface FastifyInstance {
    keys: KeyService;
    published: PublishedService;
    rateLimiter: RateLimiter;
    providerSettings: ProviderSettings;
  }
}

/** Default run time limit of a published version (overridable per version). */
export const DEFAULT_RUN_TIMEOUT_MS = 120_000;
/** Default requests per minute per API key (overridable per key). */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 600;

/** A request to a published endpoint, whichever face it came through. */
export interface PublishedRunRequest {
  inputs: Values;
  sessionId?: string;
  overrides?: Overrides;
}

/** A started run of a published version. */
export interface StartedPublishedRun extends StartedRun {
  published: PublishedVersion;
}

/**
 * Starts a run of a flow's newest published version (never the draft) with the version's run time limit: past it
 * the run is cancelled with RUN_TIMEOUT. The run is recorded like any run (history, trace, socket.io), plus a
 * `published_runs` row naming the version, the key and the endpoint. Throws FLOW_NOT_FOUND when nothing is published,
 * OVERRIDE_NOT_ALLOWED, FLOW_INVALID or RUN_INPUT_INVALID before anything runs.
 */
export function startPublishedRun(
  app: FastifyInstance,
  flowId: string,
  request: PublishedRunRequest,
  caller: { keyId: string; endpoint: 'run' | 'chat' },
  options: Pick<StartRunOptions, 'streamedToClient'> = {},
): StartedPublishedRun {
  const published = app.published.latest(flowId);
  if (!published) throw new AppError('FLOW_NOT_FOUND', `flow "${flowId}" is not published`);
  const flow = app.published.applyOverrides(published, request.overrides);
  const timeoutMs = published.settings.timeoutMs;
  const started = app.runs.start(
    flow,
    {
      inputs: request.inputs,
      // Sessions (chat memory) belong to the key that made them: a caller with another key cannot read one by
      // guessing its id.
      sessionId: request.sessionId === undefined ? undefined : `key:${caller.keyId}:${request.sessionId}`,
      timeoutMs,
      timeoutMessage: `the run took longer than ${timeoutMs} ms, the limit of this published version`,
      request: { published: { version: published.version, keyId: caller.keyId } },
      ...options,
    },
    published.flowVersion,
  );
  app.published.recordRun(started.handle.runId, flowId, published.version, caller.keyId, caller.endpoint);
  return { ...started, published };
}

/**
 * Publishing services: published versions, API keys and their rate limiter, provider settings (encrypted at rest),
 * and the admin-token hook on the editor API (on whenever FLOWLOOM_ADMIN_TOKEN is set; a non-loopback HOST without it
 * is refused at startup).
 */
export const publishing = fp(
  async (app: FastifyInstance, config: Config) => {
    const mode = adminAuthMode(config.host, config.adminToken);
    if (mode === 'token' && config.adminToken) app.addHook('onRequest', adminTokenHook(config.adminToken));
    const keys = new KeyService(app.store.keys, {
      onFlushError: (err) => app.log.error({ err }, 'writing API key last-used times failed; they stay pending'),
    });
    app.decorate('keys', keys);
    app.decorate(
      'published',
      new PublishedService(app.store, app.registry, {
        timeoutMs: config.publish?.runTimeoutMs ?? DEFAULT_RUN_TIMEOUT_MS,
      }),
    );
    app.decorate('rateLimiter', new RateLimiter(config.publish?.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE));
    // Provider credentials from the editor, sealed at rest; model calls use them only when the env sets none.
    const isEnvProvider = Boolean(config.llm || config.openai.apiKey || config.openai.baseURL);
    const provider = new ProviderSettings(
      app.store.settings,
      SecretBox.open(config.dataDir, config.secretKey),
      isEnvProvider,
    );
    app.decorate('providerSettings', provider);
    if (!isEnvProvider) app.nodeServices.llm = settingsLlm(provider, app.nodeServices.llm);
    // Pending last-used times are written before the store closes (onClose hooks run after every preClose).
    app.addHook('preClose', async () => {
      keys.flush();
    });
  },
  { name: 'flowloom-publishing', dependencies: ['flowloom-services'] },
);
