import { lazy, Suspense } from 'react';
import { SignIn, useNeedsSignIn } from './auth/SignIn';
import { DatasetsPage } from './datasets/DatasetsPage';
import { ExperimentsPage } from './experiments/ExperimentsPage';
import { KeysPage } from './keys/KeysPage';
import { EditorPage } from './pages/editor/EditorPage';
import { FlowsPage } from './pages/flows/FlowsPage';
import { parseHash, useHash } from './ui/router';
import { Toasts } from './ui/Toasts';
import { useTheme } from './ui/theme';

// Its chart library (uPlot) loads with the page, not with the editor.
const MonitoringPage = lazy(() => import('./monitoring/MonitoringPage').then((m) => ({ default: m.MonitoringPage })));
// Pages few visits need are loaded on first use: they add nothing to the flows page's first load.
const KnowledgePage = lazy(() => import('./knowledge/KnowledgePage').then((m) => ({ default: m.KnowledgePage })));
const SettingsPage = lazy(() => import('./settings/SettingsPage').then((m) => ({ default: m.SettingsPage })));

export function App() {
  const route = parseHash(useHash());
  const needsSignIn = useNeedsSignIn();
  // Follows the system setting and the theme switch while the app is open (ui/theme.ts).
  useTheme();
  if (needsSignIn) return <SignIn />;
  return (
    <>
      {route.page === 'editor' ? (
        <EditorPage key={route.flowId} flowId={route.flowId} runId={route.runId} />
      ) : route.page === 'keys' ? (
        <KeysPage />
      ) : route.page === 'datasets' ? (
        <DatasetsPage datasetId={route.datasetId} />
      ) : route.page === 'experiments' ? (
        <ExperimentsPage experimentId={route.experimentId} />
      ) : route.page === 'monitoring' ? (
        <Suspense fallback={<div className="page-loading">Loading…</div>}>
          <MonitoringPage key={route.flowId ?? ''} flowId={route.flowId} />
        </Suspense>
      ) : route.page === 'knowledge' || route.page === 'settings' ? (
        <Suspense fallback={<main className="page-loading">Loading…</main>}>
          {route.page === 'knowledge' ? <KnowledgePage collection={route.collection} /> : <SettingsPage />}
        </Suspense>
      ) : (
        <FlowsPage />
      )}
      <Toasts />
    </>
  );
}
