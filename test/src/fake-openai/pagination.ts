/** One page of a cursor-paginated list (`limit`, `after` = the id of the last item already seen), newest first
 * unless the caller ordered otherwise, in the shape OpenAI's list endpoints answer and the SDK's CursorPage reads. */
export function listPage<T extends { id: string }>(
  items: T[],
  query: { limit?: string; after?: string },
  { defaultLimit, maxLimit }: { defaultLimit: number; maxLimit: number },
) {
  const limit = Math.max(1, Math.min(Number(query.limit) || defaultLimit, maxLimit));
  const start = query.after === undefined ? 0 : items.findIndex((item) => item.id === query.after) + 1;
  const data = items.slice(start, start + limit);
  return {
    object: 'list' as const,
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: start + limit < items.length,
  };
}
