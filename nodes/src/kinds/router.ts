import { defineNode } from '../define.js';
import { AppError, type ChatMessage } from '../spec/index.js';
import { modelParam, providerOf, providerParam } from './shared/model.js';

const ROUTE_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const FIXED_OUTPUTS = new Set(['route']);

interface Route {
  name: string;
  description: string;
}

/** The routes param as a checked list; NODE_PARAM_INVALID names the problem. */
export function parseRoutes(value: unknown): Route[] {
  if (!Array.isArray(value) || value.length < 2) {
    throw new AppError('NODE_PARAM_INVALID', 'param "routes" must list at least two routes');
  }
  if (value.length > 50) throw new AppError('NODE_PARAM_INVALID', 'param "routes" may list at most 50 routes');
  const routes: Route[] = [];
  for (const item of value) {
    const route =
      typeof item === 'string'
        ? { name: item, description: '' }
        : item && typeof item === 'object'
          ? {
              name: (item as { name?: unknown }).name,
              description: (item as { description?: unknown }).description ?? '',
            }
          : { name: undefined, description: '' };
    if (typeof route.name !== 'string' || !ROUTE_NAME.test(route.name) || FIXED_OUTPUTS.has(route.name)) {
      throw new AppError(
        'NODE_PARAM_INVALID',
        `route name ${JSON.stringify(route.name)} must start with a letter and use letters, digits, _ or - (and not be "route")`,
      );
    }
    if (typeof route.description !== 'string') {
      throw new AppError('NODE_PARAM_INVALID', `the description of route "${route.name}" must be text`);
    }
    if (routes.some((r) => r.name === route.name))
      throw new AppError('NODE_PARAM_INVALID', `route "${route.name}" is listed twice`);
    routes.push({ name: route.name, description: route.description });
  }
  return routes;
}

/** The route a model answer names: the JSON `route` field, else an exact or whole-word match, else undefined. */
export function pickRoute(answer: string, routes: Route[]): string | undefined {
  const names = routes.map((r) => r.name);
  try {
    const parsed = JSON.parse(answer) as { route?: unknown };
    if (parsed && typeof parsed.route === 'string') answer = parsed.route;
  } catch {
    // Not JSON: the model answered in plain text.
  }
  const clean = answer
    .trim()
    .replace(/^["'`*\s]+|["'`*.\s]+$/g, '')
    .toLowerCase();
  const exact = names.find((name) => name.toLowerCase() === clean);
  if (exact) return exact;
  const words = new Set(answer.toLowerCase().split(/[^a-z0-9_-]+/));
  const mentioned = names.filter((name) => words.has(name.toLowerCase()));
  return mentioned.length === 1 ? mentioned[0] : undefined;
}

export const router = defineNode({
  spec: {
    type: 'router',
    version: 1,
    title: 'Router',
    category: 'logic',
    keywords: ['classify', 'branch', 'switch', 'intent', 'route', 'agent'],
    description:
      "A model reads the text and picks one of the named routes; the text goes out on that route's output and nodes on the other routes are skipped. Each route is an output.",
    branching: true,
    inputs: [{ name: 'text', dataType: 'text', required: true, description: 'What to route (e.g. the user message).' }],
    outputs: [{ name: 'route', dataType: 'text', description: 'The name of the chosen route.' }],
    dynamicOutputs: { fromParam: 'routes', source: 'list', dataType: 'text' },
    params: [
      providerParam,
      modelParam,
      {
        name: 'routes',
        kind: 'json',
        required: true,
        default: [
          { name: 'support', description: 'Help with using the product.' },
          { name: 'sales', description: 'Prices, plans and buying.' },
        ],
        description: 'The branches: a list of {name, description} (or names). Each becomes an output.',
      },
      { name: 'instructions', kind: 'text', default: '', description: 'Extra guidance for choosing.' },
      {
        name: 'fallback',
        kind: 'string',
        default: '',
        description: 'Route taken when the model names none of them; empty fails the node (ROUTE_UNKNOWN).',
      },
      { name: 'temperature', kind: 'number', default: 0, min: 0, max: 2 },
      {
        name: 'structured',
        kind: 'boolean',
        default: true,
        description:
          'Ask for a JSON answer limited to the route names (response_format); turn off for servers without it.',
      },
    ],
  },
  async execute({ inputs, params }, ctx) {
    const routes = parseRoutes(params.routes);
    const names = routes.map((r) => r.name);
    if (params.fallback !== '' && !names.includes(params.fallback)) {
      throw new AppError('NODE_PARAM_INVALID', `param "fallback" must be one of the routes: ${names.join(', ')}`);
    }
    const list = routes.map((r) => `- ${r.name}${r.description ? `: ${r.description}` : ''}`).join('\n');
    const system = [
      'You are a router. Read the user message and choose the one route that fits it best.',
      `Routes:\n${list}`,
      params.instructions,
      params.structured ? 'Answer with JSON: {"route": "<name>"}.' : 'Answer with the route name only.',
    ]
      .filter((part) => part !== '')
      .join('\n\n');
    const messages: ChatMessage[] = [
      { role: 'system', content: system },
      { role: 'user', content: inputs.text },
    ];
    const result = await ctx.services.llm.chat(
      {
        ...providerOf(params.provider),
        model: params.model,
        messages,
        temperature: params.temperature,
        ...(params.structured && {
          responseFormat: {
            type: 'json_schema',
            json_schema: {
              name: 'route',
              strict: true,
              schema: {
                type: 'object',
                properties: { route: { type: 'string', enum: names } },
                required: ['route'],
                additionalProperties: false,
              },
            },
          },
        }),
      },
      { signal: ctx.signal },
    );
    ctx.addUsage(result.usage, result.costUsd, result.model);
    const answer = result.message.content ?? '';
    let route = pickRoute(answer, routes);
    if (!route) {
      if (params.fallback === '') {
        throw new AppError(
          'ROUTE_UNKNOWN',
          `the model answered ${JSON.stringify(answer.slice(0, 200))}, which names none of the routes: ${names.join(', ')}`,
        );
      }
      ctx.log(
        `no route in the answer ${JSON.stringify(answer.slice(0, 200))}; taking the fallback "${params.fallback}"`,
      );
      route = params.fallback;
    }
    ctx.log(`route: ${route}`);
    return { route, [route]: inputs.text };
  },
});
