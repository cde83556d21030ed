import { useEffect } from 'react';

/** Sets the browser tab's title for the page on show: "<what> · Flowloom". */
export function useDocumentTitle(what: string): void {
  useEffect(() => {
    document.title = what ? `${what} · Flowloom` : 'Flowloom';
  }, [what]);
}
