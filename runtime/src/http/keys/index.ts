import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { errorResponses } from '../errors.js';
import { CreatedKeyResponse, CreateKeyBody, KeyParams, KeysResponse, RevokedResponse } from './schemas.js';

const tags = ['keys'];

/** API keys for published endpoints: create (the only answer with the secret), list, revoke. */
export const keys: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/keys',
    {
      schema: {
        tags,
        summary: 'Create an API key',
        description: 'Answers the secret (`key`) once; it is stored only as a salted hash.',
        body: CreateKeyBody,
        response: { 201: CreatedKeyResponse, ...errorResponses },
      },
    },
    async (request, reply) => reply.status(201).send(await app.runtime.keys.create(request.body)),
  );

  app.get(
    '/keys',
    {
      schema: {
        tags,
        summary: 'List API keys (never their secrets)',
        response: { 200: KeysResponse, ...errorResponses },
      },
    },
    async () => ({ keys: await app.runtime.keys.list() }),
  );

  app.delete(
    '/keys/:id',
    {
      schema: {
        tags,
        summary: 'Revoke an API key',
        description: 'Takes effect at once: the next request with this key gets 401.',
        params: KeyParams,
        response: { 200: RevokedResponse, ...errorResponses },
      },
    },
    async (request) => ({ key: await app.runtime.keys.revoke(request.params.id) }),
  );
};
