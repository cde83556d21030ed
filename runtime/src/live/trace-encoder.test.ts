import { eventJson, type TraceEvent } from '@flowloom/nodes';
import { Decoder, Encoder, type Packet, PacketType } from 'socket.io-parser';
import { describe, expect, it } from 'vitest';
import { traceParser } from './trace-encoder.js';

function event(seq: number, data: Record<string, unknown>): TraceEvent {
  return {
    runId: 'r_0193a8c2d4e5f6a7b8c9d0e1',
    seq,
    at: '2026-12-08T04:00:00.000Z',
    type: 'node.completed',
    flowId: 'chat',
    nodeId: 'llm',
    spanId: 's_1',
    parentSpanId: null,
    data: data as never,
  };
}

const events = [
  event(0, { outputs: { text: 'plain' }, durationMs: 1.5 }),
  event(1, { outputs: { text: 'quotes " and \\ and \n, ünïcødé, emoji 🧵, \u2028' }, durationMs: 0 }),
  event(2, { outputs: { list: [1, null, { deep: [true, false, -0, 1e21] }], empty: {} }, durationMs: 3 }),
];

function decode(parts: unknown[]): Packet {
  const decoder = new Decoder();
  let decoded: Packet | undefined;
  decoder.on('decoded', (packet: Packet) => {
    decoded = packet;
  });
  for (const part of parts) decoder.add(part as string);
  return decoded as Packet;
}

describe('the trace encoder', () => {
  const ours = new traceParser.Encoder();
  const theirs = new Encoder();

  it('writes trace and traces messages exactly as socket.io’s own encoder does', () => {
    for (const nsp of ['/traces', '/']) {
      for (const one of events) {
        const packet = { type: PacketType.EVENT, nsp, data: ['trace', one] };
        expect(ours.encode(packet)).toEqual(theirs.encode(packet));
        expect(decode(ours.encode(packet)).data).toEqual(['trace', JSON.parse(JSON.stringify(one))]);
      }
      for (const list of [events, []]) {
        const packet = { type: PacketType.EVENT, nsp, data: ['traces', list] };
        expect(ours.encode(packet)).toEqual(theirs.encode(packet));
      }
    }
  });

  it('leaves every other packet to the default encoder', () => {
    const others: Packet[] = [
      { type: PacketType.CONNECT, nsp: '/traces', data: { sid: 'abc' } },
      { type: PacketType.ACK, nsp: '/traces', id: 3, data: [{ ok: true }] },
      { type: PacketType.EVENT, nsp: '/traces', id: 4, data: ['trace', events[0]] },
      { type: PacketType.EVENT, nsp: '/traces', data: ['experiment.progress', { done: 1, total: 2 }] },
      { type: PacketType.EVENT, nsp: '/traces', data: ['trace', 'not an event'] },
      { type: PacketType.EVENT, nsp: '/traces', data: ['traces', [events[0], 7]] },
      { type: PacketType.EVENT, nsp: '/traces', data: ['blob', Buffer.from('bytes')] },
    ];
    for (const packet of others) expect(ours.encode(packet)).toEqual(theirs.encode(packet));
    // A binary packet stays binary: a placeholder text and the buffer.
    expect(ours.encode(others[6] as Packet)).toHaveLength(2);
  });

  it('encodes an event once, however many send it', () => {
    let encodings = 0;
    const value = {
      toJSON: () => {
        encodings++;
        return 'v';
      },
    };
    const counted = event(9, { outputs: { value }, durationMs: 1 });
    const stored = eventJson(counted);
    const sent = ours.encode({ type: PacketType.EVENT, nsp: '/traces', data: ['trace', counted] });
    ours.encode({ type: PacketType.EVENT, nsp: '/traces', data: ['traces', [counted]] });
    expect(encodings).toBe(1);
    expect(sent).toEqual([`2/traces,["trace",${stored}]`]);
  });
});
