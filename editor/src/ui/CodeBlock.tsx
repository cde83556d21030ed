import type { ReactNode } from 'react';
import { useScrollFocus } from './use-scroll-focus';

/** A value or log shown as code (`.code-block`); focusable while it scrolls, named by `label`. */
export function CodeBlock({
  label,
  className,
  testId,
  children,
}: {
  label: string;
  className?: string;
  testId?: string;
  children: ReactNode;
}) {
  const scroll = useScrollFocus<HTMLPreElement>(label);
  return (
    <pre {...scroll} className={className ? `code-block ${className}` : 'code-block'} data-testid={testId}>
      {children}
    </pre>
  );
}
