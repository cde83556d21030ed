import { Type } from 'typebox';
import { ITEM_ID_PATTERN, SPLIT_PATTERN } from '../../datasets/import.js';

const Values = Type.Record(Type.String(), Type.Unknown());
const DatasetId = Type.String({ pattern: ITEM_ID_PATTERN, description: 'Dataset id' });
const Split = Type.String({ pattern: SPLIT_PATTERN, description: 'A split of the dataset (train, test...)' });

export const DatasetParams = Type.Object({ id: DatasetId });
export const ItemParams = Type.Object({
  id: DatasetId,
  itemId: Type.String({ pattern: ITEM_ID_PATTERN, description: 'Item id' }),
});

export const DatasetSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.Optional(Type.String()),
  revision: Type.Integer({ description: 'Goes up with every change to the dataset or its items' }),
  itemCount: Type.Integer(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
export const DatasetsResponse = Type.Object({ datasets: Type.Array(DatasetSchema) });

export const ItemSchema = Type.Object({
  id: Type.String(),
  input: Values,
  expected: Type.Optional(Type.Unknown()),
  metadata: Type.Optional(Values),
  split: Type.Optional(Type.String()),
  sourceRunId: Type.Optional(Type.String()),
  sourceNodeId: Type.Optional(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export const CreateDatasetBody = Type.Object(
  {
    id: Type.Optional(DatasetId),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 5000 })),
  },
  { additionalProperties: false },
);
export const UpdateDatasetBody = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 5000 }), Type.Null()])),
  },
  { additionalProperties: false },
);

const NewItem = Type.Object(
  {
    id: Type.Optional(Type.String({ pattern: ITEM_ID_PATTERN })),
    input: Type.Record(Type.String(), Type.Unknown(), { description: 'Flow inputs by name' }),
    expected: Type.Optional(Type.Unknown({ description: 'What a good answer is' })),
    metadata: Type.Optional(Values),
    split: Type.Optional(Split),
    sourceRunId: Type.Optional(Type.String({ maxLength: 100 })),
    sourceNodeId: Type.Optional(Type.String({ maxLength: 128 })),
  },
  { additionalProperties: false },
);
export const AddItemsBody = Type.Object(
  { items: Type.Array(NewItem, { minItems: 1, maxItems: 10_000 }) },
  { additionalProperties: false },
);
export const AddItemsResponse = Type.Object({ dataset: DatasetSchema, items: Type.Array(ItemSchema) });

export const UpdateItemBody = Type.Object(
  {
    input: Type.Optional(Values),
    expected: Type.Optional(Type.Unknown({ description: 'null clears it' })),
    metadata: Type.Optional(Type.Union([Values, Type.Null()])),
    split: Type.Optional(Type.Union([Split, Type.Null()])),
  },
  { additionalProperties: false },
);
export const ItemResponse = Type.Object({ item: ItemSchema });

export const ItemsQuery = Type.Object(
  {
    split: Type.Optional(Split),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
    cursor: Type.Optional(Type.String({ pattern: '^[0-9]{1,15}$', description: 'From the previous page’s answer' })),
  },
  { additionalProperties: false },
);
export const ItemsResponse = Type.Object({
  items: Type.Array(ItemSchema),
  cursor: Type.Optional(Type.String({ description: 'Present when there are more items: pass it for the next page' })),
});

export const FromRunsBody = Type.Object(
  {
    runIds: Type.Array(Type.String({ pattern: '^r_[A-Za-z0-9_-]{1,64}$' }), { minItems: 1, maxItems: 1000 }),
    expected: Type.Union([Type.Literal('output'), Type.Literal('correction')], {
      description: "The run's (or node's) outputs, or the newest correction given as feedback on it",
    }),
    nodeId: Type.Optional(
      Type.String({ minLength: 1, maxLength: 128, description: "That node's span: its inputs and outputs" }),
    ),
    split: Type.Optional(Split),
  },
  { additionalProperties: false },
);

const ColumnRef = Type.Union([
  Type.String({ minLength: 1 }),
  Type.Object(
    {
      column: Type.String({ minLength: 1 }),
      as: Type.Optional(
        Type.Union([Type.Literal('text'), Type.Literal('number'), Type.Literal('boolean'), Type.Literal('json')]),
      ),
    },
    { additionalProperties: false },
  ),
]);
export const ImportBody = Type.Object(
  {
    format: Type.Union([Type.Literal('csv'), Type.Literal('jsonl')]),
    content: Type.String({ minLength: 1, description: 'The file’s text' }),
    mapping: Type.Optional(
      Type.Object(
        {
          id: Type.Optional(ColumnRef),
          input: Type.Optional(Type.Record(Type.String(), ColumnRef)),
          expected: Type.Optional(ColumnRef),
          split: Type.Optional(ColumnRef),
          sourceRunId: Type.Optional(ColumnRef),
          sourceNodeId: Type.Optional(ColumnRef),
          metadata: Type.Optional(Type.Array(ColumnRef)),
        },
        { additionalProperties: false, description: 'CSV only: which columns make an item' },
      ),
    ),
    split: Type.Optional(Split),
  },
  { additionalProperties: false },
);
export const ImportResponse = Type.Object({ dataset: DatasetSchema, added: Type.Integer() });

export const ExportQuery = Type.Object(
  {
    format: Type.Optional(
      Type.Union([Type.Literal('jsonl'), Type.Literal('csv'), Type.Literal('openai-sft'), Type.Literal('openai-dpo')], {
        default: 'jsonl',
        description:
          'jsonl and csv: the items (they import back); openai-sft: OpenAI supervised fine-tuning JSONL, an example ' +
          'per item with an expected output; openai-dpo: OpenAI preference pairs, from items made from runs whose ' +
          "expected output corrects the run's (or node's) answer",
      }),
    ),
    split: Type.Optional(Split),
    model: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        description:
          'openai-sft and openai-dpo: the model whose tokenizer counts the tokens (default: gpt-4o-mini for ' +
          'openai-sft, the model each pair’s call used for openai-dpo)',
      }),
    ),
  },
  { additionalProperties: false },
);
