import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type BucketName, computeMetrics, parseSources } from '../../monitoring/metrics.js';
import { errorResponses } from '../errors.js';
import { MetricsQuerySchema, MetricsResponse } from './schemas.js';

/** `GET /api/metrics`: monitoring figures per time bucket (docs/contracts.md §7). */
export const metrics: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['monitoring'],
        summary: 'Run metrics per time bucket',
        description:
          'Top-level runs that started in each bucket of `[from, to)`, of a flow (`flowId`), a published version ' +
          '(`version`) and sources (`source`, comma-separated; `production` = api, openai, widget): runs, failures, ' +
          'latency p50/p95/p99, time to first token, tokens, cost, feedback count and mean. With `nodeId`, the ' +
          "node's executions instead. Every bucket of the range is listed, empty ones too; `totals` covers the range.",
        querystring: MetricsQuerySchema,
        response: { 200: MetricsResponse, ...errorResponses },
      },
    },
    async (request) => {
      const { flowId, version, nodeId, source, from, to, bucket } = request.query;
      return computeMetrics(app.runtime.store, {
        ...(flowId !== undefined && { flowId }),
        ...(version !== undefined && { version }),
        ...(nodeId !== undefined && { nodeId }),
        ...(source !== undefined && { sources: parseSources(source) }),
        ...(from !== undefined && { from }),
        ...(to !== undefined && { to }),
        ...(bucket !== undefined && { bucket: bucket as BucketName }),
      });
    },
  );
};
