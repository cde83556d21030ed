import type { NodeContext } from '../../define.js';
import type { NodeServices } from '../../services.js';
import { AppError } from '../../spec/index.js';

type OptionalService = 'sandbox' | 'http' | 'memory' | 'flows' | 'tools';

/** A service the runtime may leave out; throws SERVICE_NOT_CONFIGURED naming it when it is missing. */
export function service<K extends OptionalService>(ctx: NodeContext, name: K): NonNullable<NodeServices[K]> {
  const found = ctx.services[name];
  if (!found) {
    throw new AppError(
      'SERVICE_NOT_CONFIGURED',
      `node "${ctx.nodeId}" needs the ${name} service, which this runtime does not provide`,
    );
  }
  return found as NonNullable<NodeServices[K]>;
}
