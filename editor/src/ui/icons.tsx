const PATHS: Record<string, string> = {
  io: 'M4 8h13l-3.5-3.5M20 16H7l3.5 3.5',
  prompts: 'M5 6h14M5 11h14M5 16h8M16 15l3 3-3 3',
  models: 'M12 3l1.9 5.1L19 10l-5.1 1.9L12 17l-1.9-5.1L5 10l5.1-1.9zM18.5 15.5l.8 2 2 .8-2 .8-.8 2-.8-2-2-.8 2-.8z',
  retrieval: 'M11 4a7 7 0 1 0 0 14 7 7 0 0 0 0-14zM16 16l5 5',
  tools: 'M14.5 5.5a4 4 0 0 0-5 5L4 16l4 4 5.5-5.5a4 4 0 0 0 5-5l-2.5 2.5-2.5-.5-.5-2.5z',
  logic: 'M6 3v18M6 9c0 4 12 2 12 8M18 17v4',
  data: 'M8 4C6 4 6 6 6 8s-2 4-2 4 2 0 2 4 0 4 2 4M16 4c2 0 2 2 2 4s2 4 2 4-2 0-2 4 0 4-2 4',
  flows: 'M4 4h10v10H4zM10 10h10v10H10z',
  cursor: 'M5 3l14 7-6 2-2 6z',
  chat: 'M4 5h16v11H9l-5 4z',
  thumbUp: 'M7 11v9H4v-9zM7 11l4-7c1.2 0 2.3 1 2 2.3L12 10h6a2 2 0 0 1 2 2.3l-1.2 6A2 2 0 0 1 16.8 20H7',
  thumbDown: 'M7 13V4H4v9zM7 13l4 7c1.2 0 2.3-1 2-2.3L12 14h6a2 2 0 0 0 2-2.3l-1.2-6A2 2 0 0 0 16.8 4H7',
  unknown: 'M9 9a3 3 0 1 1 4 2.8c-.7.3-1 1-1 1.7V15M12 18.5v.5',
};

/** A small stroke icon; categories fall back to a neutral mark. */
export function Icon({ name, size = 16 }: { name: string; size?: number }) {
  return (
    <svg
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth={1.8}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d={PATHS[name] ?? PATHS.unknown} />
    </svg>
  );
}
