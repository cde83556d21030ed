import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { Problem } from './api.js';
import { connectProblem } from './compat.js';
import type { FlowFile } from './flow.js';
import { FLOW_SCHEMA } from './flow-schema.js';
import type { NodeSpec, PortSpec, SpecLookup } from './node-spec.js';
import { checkParams, resolveInputs, resolveOutputs } from './ports.js';
import { findValueProblem, MAX_VALUE_DEPTH } from './values.js';

let schemaCheck: ValidateFunction | undefined;

/**
 * Compiles the flow schema's validator unless it is compiled already (about 0.1 s). Importing the spec compiles
 * nothing (the editor's first load does not pay for it); the runtime's engine calls this when it loads, so that a
 * server's first run does not pay for it either.
 */
export function prepareValidation(): ValidateFunction {
  schemaCheck ??= new Ajv2020({ allErrors: true, strict: false }).compile(FLOW_SCHEMA);
  return schemaCheck;
}

function checkSchema(flow: unknown): ValidateFunction {
  const check = prepareValidation();
  check(flow);
  return check;
}

/** Resolved ports of every node whose kind is known, computed once per validation or plan. */
export interface NodePorts {
  spec: NodeSpec;
  inputs: Map<string, PortSpec>;
  outputs: Map<string, PortSpec>;
}

/** Ports of one node, with `{{variable}}` and param-typed ports resolved. */
export function nodePorts(spec: NodeSpec, params: Record<string, unknown> | undefined): NodePorts {
  return {
    spec,
    inputs: new Map(resolveInputs(spec, params).map((p) => [p.name, p])),
    outputs: new Map(resolveOutputs(spec, params).map((p) => [p.name, p])),
  };
}

function schemaProblems(flow: unknown): Problem[] {
  const errors = checkSchema(flow).errors;
  if (!errors) return [];
  // Any JSON may arrive here (`null` included): only an object has nodes to name.
  const nodes = typeof flow === 'object' && flow !== null ? (flow as { nodes?: unknown }).nodes : undefined;
  return errors.map((err) => {
    const match = /^\/nodes\/(\d+)/.exec(err.instancePath);
    const node = match && Array.isArray(nodes) ? (nodes[Number(match[1])] as { id?: unknown } | undefined) : undefined;
    // Name the field itself for a missing or unknown one (`/format is required`), not the object holding it.
    const field =
      err.keyword === 'required'
        ? String(err.params.missingProperty)
        : err.keyword === 'additionalProperties'
          ? String(err.params.additionalProperty)
          : undefined;
    const path = field === undefined ? err.instancePath : `${err.instancePath}/${field}`;
    const message =
      err.keyword === 'required'
        ? 'is required'
        : err.keyword === 'additionalProperties'
          ? 'is not an allowed field'
          : (err.message ?? 'is invalid');
    return {
      nodeId: node && typeof node.id === 'string' ? node.id : null,
      path,
      code: 'SCHEMA',
      message: `${path || 'the flow'} ${message}`,
    };
  });
}

/**
 * How deep a flow file may nest as a whole: the flow, `nodes`, a node and its `params` are 4 levels, so a param's
 * value may nest `MAX_VALUE_DEPTH` levels below its node, and a param too deep is exactly a file too deep there.
 */
const FLOW_DEPTH_ALLOWANCE = 4;

/**
 * A flow nested too deep to store or compare, as one `VALUE_TOO_DEEP` problem naming where: a node's param (`path`
 * `params.<name>`), or the file. Iterative, so it holds however deep the value is. One walk of the file; the params
 * are walked one by one only to name the one at fault.
 */
export function depthProblems(flow: unknown): Problem[] {
  const found = findValueProblem(flow, { maxDepth: MAX_VALUE_DEPTH + FLOW_DEPTH_ALLOWANCE });
  if (!found) return [];
  const nodes = (flow as { nodes?: unknown } | null)?.nodes;
  if (Array.isArray(nodes)) {
    for (const node of nodes) {
      const params = (node as { params?: unknown } | null)?.params;
      if (params === null || typeof params !== 'object' || Array.isArray(params)) continue;
      for (const [name, value] of Object.entries(params)) {
        const deep = findValueProblem(value, { prefix: `params.${name}` });
        if (!deep) continue;
        const id = (node as { id?: unknown }).id;
        return [
          {
            nodeId: typeof id === 'string' ? id : null,
            code: 'VALUE_TOO_DEEP',
            message: `${deep.path} ${deep.message}`,
            path: `params.${name}`,
          },
        ];
      }
    }
  }
  return [
    { nodeId: null, code: 'VALUE_TOO_DEEP', message: `the flow ${found.path} ${found.message}`, path: found.path },
  ];
}

/**
 * Every static problem of a flow at once: schema errors, duplicate ids, unknown kinds, nodes saved by a newer
 * version of their kind, unknown ports, dangling edges, incompatible types, open required inputs, template variables
 * with no input, several edges into a single-valued input, invalid params and cycles (naming the nodes on each).
 * Validate a migrated flow (`migrateFlow`): a node of an older kind version is checked against the current one.
 */
export function validateFlow(flow: unknown, lookup: SpecLookup): Problem[] {
  // First, alone: every later check (the schema's included) walks the file recursively.
  const deep = depthProblems(flow);
  if (deep.length > 0) return deep;
  const schema = schemaProblems(flow);
  if (schema.length > 0) return schema;
  const file = flow as FlowFile;
  const problems: Problem[] = [];
  const ports = new Map<string, NodePorts>();
  const seen = new Set<string>();

  for (const node of file.nodes) {
    if (seen.has(node.id)) {
      problems.push({ nodeId: node.id, code: 'DUPLICATE_NODE_ID', message: `node id "${node.id}" is used twice` });
      continue;
    }
    seen.add(node.id);
    const spec = lookup(node.type);
    if (!spec) {
      problems.push({ nodeId: node.id, code: 'NODE_TYPE_UNKNOWN', message: `unknown node kind "${node.type}"` });
      continue;
    }
    // Saved by a newer version of the kind than this one knows: its params may mean something else here.
    if (node.typeVersion !== undefined && node.typeVersion > spec.version) {
      problems.push({
        nodeId: node.id,
        code: 'NODE_TYPE_VERSION_UNSUPPORTED',
        message: `node "${node.id}" was saved by version ${node.typeVersion} of kind "${node.type}", newer than version ${spec.version} here`,
      });
      continue;
    }
    ports.set(node.id, nodePorts(spec, node.params));
    for (const p of checkParams(spec, node.params)) {
      problems.push({
        nodeId: node.id,
        code: 'NODE_PARAM_INVALID',
        message: p.message,
        port: undefined,
        path: `params.${p.param}`,
      });
    }
  }

  const edgeIds = new Set<string>();
  const into = new Map<string, string[]>(); // "node\0port" → edge ids
  const validEdges: { source: string; target: string }[] = [];
  for (const edge of file.edges) {
    if (edgeIds.has(edge.id))
      problems.push({
        nodeId: edge.target,
        edgeId: edge.id,
        code: 'DUPLICATE_EDGE_ID',
        message: `edge id "${edge.id}" is used twice`,
      });
    edgeIds.add(edge.id);
    const from = ports.get(edge.source);
    const to = ports.get(edge.target);
    if (!seen.has(edge.source) || !seen.has(edge.target)) {
      const missing = seen.has(edge.source) ? edge.target : edge.source;
      problems.push({
        nodeId: seen.has(edge.target) ? edge.target : seen.has(edge.source) ? edge.source : null,
        edgeId: edge.id,
        code: 'EDGE_DANGLING',
        message: `edge "${edge.id}" refers to missing node "${missing}"`,
      });
      continue;
    }
    if (!from || !to) continue; // unknown kind, reported above
    const out = from.outputs.get(edge.sourcePort);
    const inp = to.inputs.get(edge.targetPort);
    if (!out) {
      problems.push({
        nodeId: edge.source,
        port: edge.sourcePort,
        edgeId: edge.id,
        code: 'PORT_UNKNOWN',
        message: `node "${edge.source}" has no output "${edge.sourcePort}"`,
      });
    }
    if (!inp) {
      problems.push({
        nodeId: edge.target,
        port: edge.targetPort,
        edgeId: edge.id,
        code: 'PORT_UNKNOWN',
        message: `node "${edge.target}" has no input "${edge.targetPort}"`,
      });
    }
    if (!out || !inp) continue;
    const typeProblem = connectProblem(out.dataType, inp.dataType);
    if (typeProblem) {
      problems.push({
        nodeId: edge.target,
        port: edge.targetPort,
        edgeId: edge.id,
        code: 'TYPE_MISMATCH',
        message: `${edge.source}.${edge.sourcePort} → ${edge.target}.${edge.targetPort}: ${typeProblem}`,
      });
    }
    const key = `${edge.target}\0${edge.targetPort}`;
    into.set(key, [...(into.get(key) ?? []), edge.source]);
    validEdges.push({ source: edge.source, target: edge.target });
  }

  const branchingAncestry = branchingReach(file, ports, validEdges);
  for (const node of file.nodes) {
    const p = ports.get(node.id);
    if (!p) continue;
    for (const port of p.inputs.values()) {
      const sources = into.get(`${node.id}\0${port.name}`) ?? [];
      if (sources.length === 0 && port.required) {
        const derived = !p.spec.inputs.some((fixed) => fixed.name === port.name);
        problems.push({
          nodeId: node.id,
          port: port.name,
          code: derived ? 'TEMPLATE_VARIABLE_UNBOUND' : 'INPUT_REQUIRED',
          message: derived
            ? `{{${port.name}}} in the template of "${node.id}" has no input connected`
            : `required input "${port.name}" of "${node.id}" is not connected`,
        });
      }
      // Several edges into a single-valued input are fine only when they come from alternative branches.
      if (sources.length > 1 && !port.multiple && !sources.every((s) => branchingAncestry.has(s))) {
        problems.push({
          nodeId: node.id,
          port: port.name,
          code: 'INPUT_MULTIPLE',
          message: `input "${port.name}" of "${node.id}" takes one edge but has ${sources.length}`,
        });
      }
    }
  }

  for (const cycle of findCycles(
    file.nodes.map((n) => n.id),
    validEdges,
  )) {
    const names = cycle.map((id) => `"${id}"`).join(' → ');
    for (const id of cycle) problems.push({ nodeId: id, code: 'CYCLE', message: `cycle: ${names} → "${cycle[0]}"` });
  }
  return problems;
}

/** Nodes that are, or descend from, a branching node: their values may not arrive. */
function branchingReach(
  flow: FlowFile,
  ports: Map<string, NodePorts>,
  edges: { source: string; target: string }[],
): Set<string> {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.source, [...(next.get(e.source) ?? []), e.target]);
  const reach = new Set<string>();
  const stack = flow.nodes.filter((n) => ports.get(n.id)?.spec.branching).map((n) => n.id);
  while (stack.length > 0) {
    const id = stack.pop() as string;
    if (reach.has(id)) continue;
    reach.add(id);
    stack.push(...(next.get(id) ?? []));
  }
  return reach;
}

/** Strongly connected components with more than one node (or a self-loop), via Tarjan's algorithm. */
export function findCycles(ids: readonly string[], edges: readonly { source: string; target: string }[]): string[][] {
  const next = new Map<string, string[]>();
  for (const id of ids) next.set(id, []);
  const selfLoops = new Set<string>();
  for (const e of edges) {
    next.get(e.source)?.push(e.target);
    if (e.source === e.target) selfLoops.add(e.source);
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let counter = 0;
  // Iterative DFS so long chains do not overflow the call stack.
  for (const root of ids) {
    if (index.has(root)) continue;
    const work: { id: string; i: number }[] = [{ id: root, i: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { id: string; i: number };
      const targets = next.get(frame.id) ?? [];
      if (frame.i < targets.length) {
        const target = targets[frame.i++] as string;
        if (!index.has(target)) {
          index.set(target, counter);
          low.set(target, counter++);
          stack.push(target);
          onStack.add(target);
          work.push({ id: target, i: 0 });
        } else if (onStack.has(target)) {
          low.set(frame.id, Math.min(low.get(frame.id) as number, index.get(target) as number));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id) as number, low.get(frame.id) as number));
      if (low.get(frame.id) === index.get(frame.id)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop() as string;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.id);
        if (component.length > 1 || selfLoops.has(frame.id)) cycles.push(component.reverse());
      }
    }
  }
  return cycles;
}
