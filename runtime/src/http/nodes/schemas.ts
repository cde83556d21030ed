import { Type } from 'typebox';

/** A catalog entry (docs/contracts.md §2); free-form beyond the documented fields so kinds can add data. */
export const NodeSpecSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    category: Type.String(),
    description: Type.String(),
    inputs: Type.Array(Type.Object({ name: Type.String(), dataType: Type.String() }, { additionalProperties: true })),
    outputs: Type.Array(Type.Object({ name: Type.String(), dataType: Type.String() }, { additionalProperties: true })),
    params: Type.Array(Type.Object({ name: Type.String(), kind: Type.String() }, { additionalProperties: true })),
  },
  { additionalProperties: true },
);

export const NodesResponse = Type.Object({ nodes: Type.Array(NodeSpecSchema) });
