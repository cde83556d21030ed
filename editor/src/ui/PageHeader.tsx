import { ThemeSwitch } from './ThemeSwitch';

/** The header of the pages beside the editor: the brand (back to flows), where you are, and the other pages. */
export function PageHeader({ crumbs }: { crumbs: { label: string; href?: string }[] }) {
  return (
    <header className="flows-header">
      <a className="brand" href="#/" aria-label="Flowloom: back to flows">
        <span className="brand-mark" aria-hidden />
        <span className="brand-name">Flowloom</span>
      </a>
      <nav aria-label="Breadcrumb" className="crumbs">
        {crumbs.map((crumb, i) => (
          <span key={crumb.label} className="crumb">
            <span className="crumb-sep" aria-hidden>
              /
            </span>
            {crumb.href && i < crumbs.length - 1 ? (
              <a href={crumb.href}>{crumb.label}</a>
            ) : (
              <span aria-current={i === crumbs.length - 1 ? 'page' : undefined}>{crumb.label}</span>
            )}
          </span>
        ))}
      </nav>
      <span className="spacer" />
      <nav aria-label="Pages" className="page-nav">
        <a className="btn btn-ghost" href="#/">
          Flows
        </a>
        <a className="btn btn-ghost" href="#/datasets">
          Datasets
        </a>
        <a className="btn btn-ghost" href="#/experiments">
          Experiments
        </a>
        <a className="btn btn-ghost" href="#/monitoring">
          Monitoring
        </a>
        <a className="btn btn-ghost" href="#/knowledge">
          Knowledge
        </a>
        <a className="btn btn-ghost" href="#/keys">
          API keys
        </a>
        <a className="btn btn-ghost" href="#/settings">
          Settings
        </a>
      </nav>
      <ThemeSwitch />
    </header>
  );
}
