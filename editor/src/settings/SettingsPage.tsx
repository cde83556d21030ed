import { PageHeader } from '../ui/PageHeader';
import { useDocumentTitle } from '../ui/use-document-title';
import '../ui/page.css';
import '../ui/data-page.css';

/** Settings: model providers (OpenAI and OpenAI-compatible servers). */
export function SettingsPage() {
  useDocumentTitle('Settings');
  return (
    <div className="flows-page" data-testid="settings-page">
      <PageHeader crumbs={[{ label: 'Settings' }]} />
      <main className="data-main">
        <h1>Settings</h1>
      </main>
    </div>
  );
}
