import { AppError, type Values } from '@flowloom/nodes';
import type { RunService, StartedRun, StartRunOptions } from '../runs/run-service.js';
import type { PublishedEndpoint } from '../store/published.js';
import type { FrozenVersion, Overrides, PublishedService } from './versions.js';

/** A request to a published endpoint, whichever face it came through. */
export interface PublishedRunRequest {
  inputs: Values;
  sessionId?: string;
  overrides?: Overrides;
}

/** A started run of a published version. */
export interface StartedPublishedRun extends StartedRun {
  published: FrozenVersion;
}

/**
 * The newest published version of a flow: from the cache without waiting when it has it. Throws FLOW_NOT_FOUND when
 * nothing is published.
 */
export async function latestPublished(versions: PublishedService, flowId: string): Promise<FrozenVersion> {
  const published = versions.cachedLatest(flowId) ?? (await versions.latest(flowId));
  if (!published) throw new AppError('FLOW_NOT_FOUND', `flow "${flowId}" is not published`);
  return published;
}

/**
 * Starts a run of a published version (the newest: `latestPublished`; never a draft, not even of the flows it calls:
 * those resolve in the version's bundle) with the version's run time limit, at most the server's
 * (FLOWLOOM_RUN_TIMEOUT_MS): past it the run is cancelled with RUN_TIMEOUT. The run is recorded like any run
 * (history, trace, socket.io), plus a `published_runs` row naming the version, the key and the endpoint. Throws
 * OVERRIDE_NOT_ALLOWED, FLOW_INVALID or RUN_INPUT_INVALID (and STORE_UNAVAILABLE) before anything runs.
 */
export function startPublishedRun(
  { published: versions, runs }: { published: PublishedService; runs: RunService },
  published: FrozenVersion,
  request: PublishedRunRequest,
  caller: { keyId: string; endpoint: PublishedEndpoint },
  options: Pick<StartRunOptions, 'streamedToClient'> = {},
): StartedPublishedRun {
  const flowId = published.flowId;
  const flow = versions.applyOverrides(published, request.overrides);
  // A version published under a higher ceiling (FLOWLOOM_RUN_TIMEOUT_MS lowered since) runs within today's.
  const ceilingMs = versions.runTimeoutCeilingMs;
  const timeoutMs = Math.min(published.settings.timeoutMs, ceilingMs);
  const started = runs.start(
    flow,
    {
      inputs: request.inputs,
      // Sessions (chat memory) belong to the key that made them: a caller with another key cannot read one by
      // guessing its id.
      sessionId: request.sessionId === undefined ? undefined : `key:${caller.keyId}:${request.sessionId}`,
      timeoutMs,
      timeoutMessage: `the run took longer than ${timeoutMs} ms, the limit of ${timeoutMs < published.settings.timeoutMs ? 'this server (FLOWLOOM_RUN_TIMEOUT_MS)' : 'this published version'}`,
      request: { published: { version: published.version, keyId: caller.keyId } },
      // Every flow call of the run, at any depth, resolves in the version's bundle: never to a draft.
      bundle: published.frozen,
      ...options,
    },
    published.flowVersion,
  );
  versions.recordRun(started.handle.runId, flowId, published.version, caller.keyId, caller.endpoint);
  return { ...started, published };
}
