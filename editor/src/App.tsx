import { EditorPage } from './pages/EditorPage';
import { FlowsPage } from './pages/FlowsPage';
import { parseHash, useHash } from './ui/router';
import { Toasts } from './ui/Toasts';

export function App() {
  const route = parseHash(useHash());
  return (
    <>
      {route.page === 'editor' ? <EditorPage key={route.flowId} flowId={route.flowId} /> : <FlowsPage />}
      <Toasts />
    </>
  );
}
