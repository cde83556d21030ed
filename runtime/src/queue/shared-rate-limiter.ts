import type { Redis } from 'ioredis';
import type { KeyRateLimiter, TakeResult } from '../publishing/rate-limiter.js';
import type { RedisKeys } from './keys.js';
import type { RedisConnections } from './redis.js';

/**
 * The token bucket of `RateLimiter` (burst up to the per-minute limit, refilled at limit/60 per second), kept in
 * Redis and updated in one script on Redis' clock, so every api process takes from one budget per key. Answers
 * `{1, remaining}` or `{0, retryAfterSec}`.
 */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local perMs = limit / 60000
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1])
if tokens == nil then
  tokens = limit
else
  tokens = math.min(limit, tokens + (now - tonumber(bucket[2])) * perMs)
end
local taken = 0
if tokens >= 1 then
  tokens = tokens - 1
  taken = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], 120000)
if taken == 1 then return {1, math.floor(tokens)} end
return {0, math.max(1, math.ceil((1 - tokens) / perMs / 1000))}`;

type WithTake = Redis & { takeToken(key: string, limit: number): Promise<[number, number]> };

/** Per-key rate limits shared by the api processes of one deployment (Redis). QUEUE_UNAVAILABLE while Redis is down. */
export class SharedRateLimiter implements KeyRateLimiter {
  readonly #connections: RedisConnections;
  readonly #keys: RedisKeys;
  readonly #redis: WithTake;

  constructor(
    connections: RedisConnections,
    keys: RedisKeys,
    readonly defaultPerMinute: number,
  ) {
    this.#connections = connections;
    this.#keys = keys;
    const redis = connections.command;
    if (!('takeToken' in redis)) redis.defineCommand('takeToken', { numberOfKeys: 1, lua: TAKE });
    this.#redis = redis as WithTake;
  }

  async take(id: string, perMinute: number | null = null): Promise<TakeResult> {
    this.#connections.assertAvailable();
    const [taken, value] = await this.#redis.takeToken(this.#keys.rate(id), perMinute ?? this.defaultPerMinute);
    return taken === 1 ? { ok: true, remaining: value } : { ok: false, retryAfterSec: value };
  }
}
