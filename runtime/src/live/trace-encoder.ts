import { eventJson, type TraceEvent } from '@flowloom/nodes';
import { Decoder, Encoder, type Packet, PacketType, protocol } from 'socket.io-parser';

/**
 * socket.io's own parser (its `parser` option), with one change: a `trace` or `traces` message is written from its
 * events' JSON text (`eventJson`), which the store and the SSE streams share, instead of encoding every event again
 * for every socket (and searching it for binary data first). The text is exactly what the default encoder writes for
 * the same packet, `2/traces,["trace",{…}]`; clients decode it with the default parser. A trace event is JSON (the
 * store keeps it as such), so one holding binary data (a `Buffer`, a typed array) arrives as its JSON, as over SSE,
 * not as a binary attachment. Every other packet goes through the default encoder.
 */
class TraceEncoder extends Encoder {
  override encode(packet: Packet): unknown[] {
    const hasId = packet.id !== undefined && packet.id !== null;
    const text = packet.type === PacketType.EVENT && !hasId ? traceMessage(packet.data) : undefined;
    if (text === undefined) return super.encode(packet);
    const namespace = packet.nsp && packet.nsp !== '/' ? `${packet.nsp},` : '';
    return [`${PacketType.EVENT}${namespace}${text}`];
  }
}

function isEvent(value: unknown): value is TraceEvent {
  return typeof value === 'object' && value !== null;
}

/** `JSON.stringify(data)` of a `trace` (one event) or `traces` (a list) message, from its events' shared text. */
function traceMessage(data: unknown): string | undefined {
  if (!Array.isArray(data) || data.length !== 2) return undefined;
  const [name, payload] = data as [unknown, unknown];
  if (name === 'trace' && isEvent(payload)) return `["trace",${eventJson(payload)}]`;
  if (name === 'traces' && Array.isArray(payload) && payload.every(isEvent)) {
    return `["traces",[${payload.map((event) => eventJson(event)).join(',')}]]`;
  }
  return undefined;
}

/** The parser to hand socket.io's server: the encoder above, socket.io's own decoder. */
export const traceParser = { Encoder: TraceEncoder, Decoder, protocol, PacketType };
